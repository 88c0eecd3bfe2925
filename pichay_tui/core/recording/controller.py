"""Timeline markers and the play/step/jump controller the replay screen drives (sans-io: the UI calls `tick`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import events as ev
from ..engine.facade import Engine
from .replayer import FrameResult, Replayer

MARK_EVICT, MARK_FAULT, MARK_ZONE, MARK_PIN, MARK_CLEAR = "evict", "fault", "zone", "pin", "clear"
_MARK_OF = {ev.PageEvicted: MARK_EVICT, ev.PageFaulted: MARK_FAULT, ev.ZoneChanged: MARK_ZONE,
            ev.PagePinned: MARK_PIN, ev.ClientCleared: MARK_CLEAR, ev.PageClearedByClient: MARK_CLEAR}


@dataclass(frozen=True, slots=True)
class Marker:
    frame: int
    kind: str          # evict | fault | zone | pin | clear
    count: int
    detail: str = ""


class ReplayController:
    """Step/back/jump/play over a Replayer, with timeline markers; sans-io (the UI calls `tick(dt)` from a timer).

    Named commands for the UI: replay.step, replay.back, replay.jump, replay.play, replay.pause, replay.speed.
    """

    SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 100.0)

    def __init__(self, replayer: Replayer) -> None:
        self.replayer = replayer
        self.playing = False
        self.speed = 2.0                    # frames per second while playing
        self._acc = 0.0
        self.markers: list[Marker] = []
        self.frame_summaries: list[dict[str, Any]] = []
        self._marked: dict[int, FrameResult] = {}
        self._build_timeline()

    def _build_timeline(self) -> None:
        """One pass over every frame (taking snapshots on the way) to place markers; then back to frame 0."""
        rp = self.replayer
        rp.jump(0)
        while not rp.at_end:
            r = rp.step()
            self.frame_summaries.append(r.summary())
            self.markers += self._markers_of(r)
            self._marked[r.index] = r
        rp.jump(0)

    @staticmethod
    def _markers_of(r: FrameResult) -> list[Marker]:
        counts: dict[str, int] = {}
        details: dict[str, str] = {}
        for e in r.events:
            p = e.payload
            k = _MARK_OF.get(type(p))
            if k:
                counts[k] = counts.get(k, 0) + 1
                if isinstance(p, ev.ZoneChanged):
                    details[k] = f"{ev.given(p.old)}→{ev.given(p.new)}"
        return [Marker(r.index, k, n, details.get(k, "")) for k, n in counts.items()]

    def _sync_timeline(self) -> None:
        """After an operator command the frames after it can come out differently: re-mark frames as they are
        re-applied (only needed once a command was issued)."""
        if not self.replayer.operator:
            return
        changed = {i: r for i, r in self.replayer.results.items() if self._marked.get(i) is not r}
        if not changed:
            return
        self.markers = [m for m in self.markers if m.frame not in changed]
        for i, r in changed.items():
            self.markers += self._markers_of(r)
            self.frame_summaries[i] = r.summary()
            self._marked[i] = r
        self.markers.sort(key=lambda m: m.frame)

    def command(self, command: str, **args: Any) -> Any:
        """An operator command during the replay: applied now and re-applied at this frame on every later pass."""
        return self.replayer.command(command, **args)

    # ---- position ----
    @property
    def position(self) -> int:
        return self.replayer.position

    @property
    def total(self) -> int:
        return len(self.replayer)

    @property
    def engine(self) -> Engine:
        return self.replayer.engine

    def step(self) -> FrameResult | None:
        r = self.replayer.step()
        self._sync_timeline()
        return r

    def back(self) -> FrameResult | None:
        r = self.replayer.back()
        self._sync_timeline()
        return r

    def jump(self, index: int) -> FrameResult | None:
        r = self.replayer.jump(index)
        self._sync_timeline()
        return r

    def jump_turn(self, session_id: str | None, turn: int) -> FrameResult | None:
        """Jump to the first frame at which the session (any, if None) reached user turn `turn`."""
        for s in self.frame_summaries:
            if session_id and s["session"] != session_id:
                continue
            if s["session"] and s["turn"] >= turn:
                return self.jump(s["index"] + 1)
        return self.jump(self.total)

    def next_marker(self, kinds: tuple[str, ...] = (MARK_EVICT, MARK_FAULT, MARK_ZONE)) -> FrameResult | None:
        """Jump just past the next frame carrying one of these markers."""
        for m in self.markers:
            if m.kind in kinds and m.frame >= self.position:
                return self.jump(m.frame + 1)
        return None

    def prev_marker(self, kinds: tuple[str, ...] = (MARK_EVICT, MARK_FAULT, MARK_ZONE)) -> FrameResult | None:
        for m in reversed(self.markers):
            if m.kind in kinds and m.frame + 1 < self.position:
                return self.jump(m.frame + 1)
        return None

    # ---- playback ----
    def play(self) -> None:
        self.playing = not self.replayer.at_end
        self._acc = 0.0

    def pause(self) -> None:
        self.playing = False

    def toggle(self) -> bool:
        self.pause() if self.playing else self.play()
        return self.playing

    def set_speed(self, fps: float) -> float:
        self.speed = max(0.1, float(fps))
        return self.speed

    def faster(self) -> float:
        return self.set_speed(next((s for s in self.SPEEDS if s > self.speed), self.SPEEDS[-1]))

    def slower(self) -> float:
        return self.set_speed(next((s for s in reversed(self.SPEEDS) if s < self.speed), self.SPEEDS[0]))

    def tick(self, dt: float) -> int:
        """Advance playback by dt seconds of wall time; returns how many frames were applied."""
        if not self.playing:
            return 0
        self._acc += dt * self.speed
        n = 0
        while self._acc >= 1.0 and not self.replayer.at_end:
            self._acc -= 1.0
            self.replayer.step()
            n += 1
        if n:
            self._sync_timeline()
        if self.replayer.at_end:
            self.playing = False
        return n

    def timeline(self, width: int) -> str:
        """A one-line text scrubber: '·' plain frame, 'e' eviction, 'F' fault, 'z' zone change, '▲' position."""
        n = self.total
        if n == 0 or width <= 0:
            return ""
        rank = {MARK_FAULT: 3, MARK_ZONE: 2, MARK_EVICT: 1}
        glyph = {MARK_FAULT: "F", MARK_ZONE: "z", MARK_EVICT: "e"}
        cells = [(0, "·")] * width
        for m in self.markers:
            if m.kind not in rank:
                continue
            c = min(width - 1, m.frame * width // n)
            if rank[m.kind] > cells[c][0]:
                cells[c] = (rank[m.kind], glyph[m.kind])
        chars = [g for _, g in cells]
        pos = min(width - 1, max(0, self.position - 1) * width // n) if self.position else 0
        chars[pos] = "▲"
        return "".join(chars)
