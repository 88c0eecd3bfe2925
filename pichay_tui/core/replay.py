"""Replay: drive a fresh Engine through a saved session one frame (one API call) at a time, forward and back.

A frame is one client request to the Messages API plus whatever the live engine saw before the next request:
the responses that arrived and the operator commands accepted in between — in the recorded order, through the same
`Engine.handle_request` / `handle_response` / `command` calls the proxy makes live. The clock is the recorded one
(`now=` the record's timestamp), so a replay is deterministic.

Going back is exact: the replayer keeps deep-copied engine snapshots every `snapshot_every` frames and recomputes
forward from the nearest one (snapshots are taken with subscribers detached and restored as fresh copies).

Inputs: our recordings (`core/recording.py`, any format version — the reader migrates) and the importers' formats
(reference-proxy logs, Claude Code transcripts). Imported formats have no tool definitions, so their requests are
replayed with `side=False` (otherwise every request would look like a tool-less side request).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import orjson

from . import events as ev
from .config import PagerConfig
from .engine import Engine
from .events import Event
from .exchange import Exchange, ResponseSummary
from .tokens import TokenCounter


class ReplayClock:
    """The engine's clock during replay: the timestamp of the step being applied."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass(slots=True)
class Frame:
    """One API call to replay: the request, then the responses/commands that followed it before the next one."""

    index: int
    exchange: Exchange
    side: bool | None = None
    label: str = ""                                   # importer session name or recorded session id
    after: list[tuple[str, Any]] = field(default_factory=list)  # ("response", (req_frame, ResponseSummary, ts)) |
    #                                                              ("command", RecordedCommand)
    live_tokens_out: int = 0                          # the live engine's outbound estimate (recordings only)


@dataclass(frozen=True, slots=True)
class OperatorCommand:
    """A command the operator issued during a replay, kept with the frame it followed so that going back and forward
    recomputes it exactly (it is applied after that frame's recorded responses and commands, as it was live)."""

    ts: float
    command: str
    args: dict[str, Any]


@dataclass(slots=True)
class FrameResult:
    """What one frame did: the session it hit, what was sent, sizes before/after, the events it caused."""

    index: int
    session_id: str
    request_no: int
    side: bool
    ts: float
    tokens_in: int
    tokens_out: int
    bytes_in: int
    bytes_out: int
    changed: bool
    events: list[Event]
    usage: dict[str, int]
    outbound: dict[str, Any] | None = None
    turn: int = 0                                     # the session's user turn after this request

    def summary(self) -> dict[str, Any]:
        return {"index": self.index, "session": self.session_id, "request_no": self.request_no, "side": self.side,
                "ts": self.ts, "tokens_in": self.tokens_in, "tokens_out": self.tokens_out,
                "bytes_in": self.bytes_in, "bytes_out": self.bytes_out, "changed": self.changed,
                "usage": self.usage, "turn": self.turn, "events": [e.kind for e in self.events]}


@dataclass(slots=True)
class ReplaySource:
    """Frames plus what the input format could not provide."""

    frames: list[Frame]
    format: str
    path: str = ""
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)


def frames_from_exchanges(exchanges: Iterable[Exchange] | dict[str, list[Exchange]], side: bool | None = None
                          ) -> list[Frame]:
    """One frame per exchange; a {session: [exchanges]} mapping is merged by timestamp (stable within a session)."""
    if isinstance(exchanges, dict):
        items = [(ex.ts, n, i, name, ex) for n, (name, exs) in enumerate(exchanges.items())
                 for i, ex in enumerate(exs)]
        if all(t for t, *_ in items):
            items.sort(key=lambda x: (x[0], x[1], x[2]))
        seq = [(name, ex) for _, _, _, name, ex in items]
    else:
        seq = [("", ex) for ex in exchanges]
    frames = []
    for name, ex in seq:
        f = Frame(len(frames), ex, side, name)
        if ex.response is not None:
            f.after.append(("response", (f.index, ex.response, ex.ts)))
        frames.append(f)
    return frames


def frames_from_recording(path: str | Path) -> tuple[list[Frame], dict[str, Any]]:
    """Frames of a pichay recording: the requests the live engine processed, with what followed each in order."""
    from .recording import RecordedCommand, RecordedRequest, RecordedResponse, read_header, read_recording

    frames: list[Frame] = []
    by_id: dict[int, int] = {}
    for step in read_recording(path):
        if isinstance(step, RecordedRequest):
            if not step.engine:
                continue
            f = Frame(len(frames), step.exchange, step.side, step.session)
            f.live_tokens_out = next((int(e.data.get("tokens_out") or 0) for e in step.events
                                      if e.kind == ev.REQUEST_PAGED), 0)
            by_id[step.id] = f.index
            frames.append(f)
        elif isinstance(step, RecordedResponse):
            if step.id in by_id and frames:
                frames[-1].after.append(("response", (by_id.pop(step.id), step.response, step.ts)))
        elif isinstance(step, RecordedCommand):
            if step.ok and frames:
                frames[-1].after.append(("command", step))
    return frames, read_header(path)


def materialize(path: str | Path) -> Path:
    """A .xz/.gz file decompressed once into a temp cache (keyed by name, size and mtime); other paths unchanged."""
    path = Path(path)
    if path.suffix not in (".xz", ".gz") or not path.is_file():
        return path
    import gzip
    import lzma
    import tempfile

    st = path.stat()
    cache = Path(tempfile.gettempdir()) / "pichay-replay-cache"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{path.stem}.{st.st_size}.{int(st.st_mtime)}{Path(path.stem).suffix or '.jsonl'}"
    if not target.exists():
        opener = lzma.open if path.suffix == ".xz" else gzip.open
        tmp = target.with_suffix(".part")
        with opener(path, "rb") as src, open(tmp, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        tmp.replace(target)
    return target


def load_source(path: str | Path) -> ReplaySource:
    """Open a recording or an importable file/folder (.xz/.gz too) as frames (raises UnsupportedFormat/RecordingError)."""
    from .importers import detect_format, load_exchanges

    shown, path = str(path), materialize(path)
    fmt = detect_format(path)
    if fmt == "recording":
        frames, header = frames_from_recording(path)
        return ReplaySource(frames, "recording", shown, header=header)
    result = load_exchanges(path)
    return ReplaySource(frames_from_exchanges(result.sessions, side=False), result.format, shown,
                        list(result.missing), list(result.warnings))


def messages_size(body: dict[str, Any]) -> int:
    return len(orjson.dumps(body.get("messages") or []))


def outbound_size(body: dict[str, Any], outbound: dict[str, Any], before: int,
                  cache: dict[int, tuple[Any, int]] | None = None) -> int:
    """Size of the outbound messages, re-serialising only the messages the engine replaced (it shares the rest).

    `cache` maps id(rebuilt message) -> (message, size delta): the engine reuses a rebuilt old message object until
    one of its pages changes, and the client's copy of an old message does not change, so the delta is stable.
    """
    if outbound is body:
        return before
    src, dst = body.get("messages") or [], outbound.get("messages") or []
    if len(src) != len(dst):
        return len(orjson.dumps(dst))
    size = before
    for a, b in zip(src, dst):
        if a is not b:
            hit = cache.get(id(b)) if cache is not None else None
            if hit is not None and hit[0] is b:
                size += hit[1]
                continue
            delta = len(orjson.dumps(b)) - len(orjson.dumps(a))
            if cache is not None:
                if len(cache) > 100_000:
                    cache.clear()
                cache[id(b)] = (b, delta)
            size += delta
    return size


class Replayer:
    """Owns a replay engine and a position (frames applied so far); step, back and jump are exact."""

    def __init__(self, source: ReplaySource | list[Frame], config: PagerConfig | None = None, *,
                 counter: TokenCounter | None = None, snapshot_every: int = 32, keep_outbound: bool = False,
                 measure_bytes: bool = True) -> None:
        self.source = source if isinstance(source, ReplaySource) else ReplaySource(list(source), "exchanges")
        self.frames = self.source.frames
        self.config = config or PagerConfig()
        self.counter = counter or TokenCounter()
        self.snapshot_every = max(1, snapshot_every)
        self.keep_outbound = keep_outbound
        self.measure_bytes = measure_bytes
        self._subscribers: list[Callable[[Event], None]] = []
        self._reset_listeners: list[Callable[[Engine], None]] = []
        self._snapshots: dict[int, tuple[Engine, dict[int, str]]] = {}
        self.results: dict[int, FrameResult] = {}     # index -> result, for frames applied at least once
        self.operator: dict[int, list[OperatorCommand]] = {}   # frame index -> commands issued right after it
        self.last: FrameResult | None = None
        self._new_engine()

    # ---- engine lifecycle ----
    def _new_engine(self) -> None:
        self.clock = ReplayClock()
        self.engine = Engine(self.config, clock=self.clock, counter=self.counter)
        self.engine.subscribe(self._fanout)
        self.position = 0
        self._sids: dict[int, str] = {}               # frame index -> session id (to route responses)
        self._size_cache: dict[int, tuple[Any, int]] = {}
        self._snapshots.setdefault(0, self._snapshot())

    def _fanout(self, e: Event) -> None:
        for cb in list(self._subscribers):
            cb(e)

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Every event the replay engine emits while frames are applied (forward); see `on_reset` for jumps back."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def on_reset(self, callback: Callable[[Engine], None]) -> None:
        """Called with the new engine whenever the engine object is replaced (a jump back restores a snapshot)."""
        self._reset_listeners.append(callback)

    def _snapshot(self) -> tuple[Engine, dict[int, str]]:
        eng = self.engine
        subs, eng._subscribers = eng._subscribers, []
        try:
            memo = {id(self.counter): self.counter, id(self.config): self.config}
            return copy.deepcopy((eng, dict(self._sids), self.clock), memo)[:2]
        finally:
            eng._subscribers = subs

    def _restore(self, index: int) -> None:
        snap_eng, sids = self._snapshots[index]
        memo = {id(self.counter): self.counter, id(self.config): self.config}
        eng, self._sids = copy.deepcopy((snap_eng, sids), memo)
        self.clock = eng.clock
        eng._subscribers = []
        eng.subscribe(self._fanout)
        self.engine = eng
        self.position = index
        self.last = self.results.get(index - 1)
        for cb in list(self._reset_listeners):
            cb(eng)

    # ---- stepping ----
    def __len__(self) -> int:
        return len(self.frames)

    @property
    def at_end(self) -> bool:
        return self.position >= len(self.frames)

    def step(self) -> FrameResult | None:
        """Apply the next frame; None at the end."""
        if self.at_end:
            return None
        frame = self.frames[self.position]
        result = self._apply(frame)
        self.position += 1
        self.results[frame.index] = result
        self.last = result
        if self.position % self.snapshot_every == 0 and self.position not in self._snapshots:
            self._snapshots[self.position] = self._snapshot()
        return result

    def run(self, until: int | None = None) -> FrameResult | None:
        """Apply frames until `position == until` (default: the end)."""
        target = len(self.frames) if until is None else min(until, len(self.frames))
        while self.position < target:
            self.step()
        return self.last

    def jump(self, index: int) -> FrameResult | None:
        """Go to the state after `index` frames (0 = before the first call); backwards restores a snapshot."""
        index = max(0, min(index, len(self.frames)))
        if index < self.position:
            base = max(k for k in self._snapshots if k <= index)
            self._restore(base)
        return self.run(index)

    def back(self) -> FrameResult | None:
        return self.jump(self.position - 1)

    def command(self, command: str, **args: Any) -> Any:
        """Issue an operator command now (after `position` frames) and keep it in the replay: it is re-applied at
        the same point whenever the replay passes this frame again. Snapshots taken later than this point no longer
        hold, so they are dropped. Raises what `Engine.command` raises (nothing is recorded then)."""
        if self.position == 0:
            raise ValueError("no frame applied yet: step to the first request before issuing commands")
        result = self.engine.command(command, **args)
        self.operator.setdefault(self.position - 1, []).append(OperatorCommand(self.clock.now, command, dict(args)))
        for k in [k for k in self._snapshots if k >= self.position]:
            del self._snapshots[k]
        return result

    def _rescale(self, idx: int, summary: ResponseSummary, tokens_out: int | None) -> ResponseSummary:
        """Recorded usage measured what the *live* policy sent; under another policy the same call would have sent
        more or fewer tokens. Scale the input-side usage by replay/live outbound estimates (1.0 for the live config),
        so zones and policies that look at fill see this replay's context, not the recording's."""
        live = self.frames[idx].live_tokens_out
        if tokens_out is None:
            done = self.results.get(idx)
            tokens_out = done.tokens_out if done else 0
        if not live or not tokens_out or tokens_out == live or not summary.usage:
            return summary
        k = tokens_out / live
        usage = dict(summary.usage)
        for key in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
            if isinstance(usage.get(key), int):
                usage[key] = int(round(usage[key] * k))
        return ResponseSummary(summary.status, usage, summary.stop_reason, summary.content, summary.error)

    def _command(self, item: Any, ts: float) -> None:
        self.clock.now = item.ts or ts
        try:
            self.engine.command(item.command, **item.args)
        except Exception:  # noqa: BLE001 - a command that no longer validates is skipped, as live
            pass

    def _apply(self, frame: Frame) -> FrameResult:
        ex = frame.exchange
        eng = self.engine
        self.clock.now = ex.ts
        collected: list[Event] = []
        unsub = eng.subscribe(collected.append)
        try:
            r = eng.handle_request(ex.body, ex.headers, ex.path, now=ex.ts, side=frame.side)
            self._sids[frame.index] = r.session_id
            usage: dict[str, int] = {}
            for kind, item in frame.after:
                if kind == "response":
                    idx, summary, ts = item
                    sid = self._sids.pop(idx, "")
                    if sid:
                        self.clock.now = ts or ex.ts
                        summary = self._rescale(idx, summary, r.tokens_out if idx == frame.index else None)
                        eng.handle_response(sid, summary, now=ts or ex.ts)
                        if idx == frame.index:
                            usage = dict(summary.usage)
                else:
                    self.clock.now = item.ts or ex.ts
                    try:
                        eng.apply_recorded(item.command, item.args)
                    except Exception:  # noqa: BLE001 - a command that no longer validates is skipped, as live
                        pass
            for item in self.operator.get(frame.index, ()):
                self._command(item, ex.ts)
        finally:
            unsub()
        if self.measure_bytes and not r.side:
            before = messages_size(ex.body)
            after = outbound_size(ex.body, r.outbound, before, self._size_cache)
        else:
            before = after = 0
        return FrameResult(frame.index, r.session_id, r.request_no, r.side, ex.ts, r.tokens_in, r.tokens_out,
                           before, after, r.changed, collected, usage,
                           r.outbound if self.keep_outbound else None,
                           eng.sessions[r.session_id].turn if r.session_id in eng.sessions else 0)


# ---- timeline + controller (what the replay screen drives) ----
MARK_EVICT, MARK_FAULT, MARK_ZONE, MARK_PIN, MARK_CLEAR = "evict", "fault", "zone", "pin", "clear"
_MARK_OF = {ev.PAGE_EVICTED: MARK_EVICT, ev.PAGE_FAULTED: MARK_FAULT, ev.ZONE_CHANGED: MARK_ZONE,
            ev.PAGE_PINNED: MARK_PIN, ev.CLIENT_CLEARED: MARK_CLEAR, ev.PAGE_CLEARED_BY_CLIENT: MARK_CLEAR}


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
            k = _MARK_OF.get(e.kind)
            if k:
                counts[k] = counts.get(k, 0) + 1
                if k == MARK_ZONE:
                    details[k] = f"{e.data.get('old')}→{e.data.get('new')}"
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

    def markers_in(self, start: int, end: int) -> list[Marker]:
        return [m for m in self.markers if start <= m.frame < end]

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


def replay_summary_response(summary: ResponseSummary | None) -> dict[str, Any]:
    return summary.to_dict() if summary else {}
