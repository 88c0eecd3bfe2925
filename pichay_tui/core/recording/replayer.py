"""Replay: drive a fresh Engine through a saved session one frame (one API call) at a time, forward and back.

A frame is one client request to the Messages API plus whatever the live engine saw before the next request:
the responses that arrived and the operator commands accepted in between — in the recorded order, through the same
engine calls the proxy makes live (drive.Driver, the loop `recording.replay` uses too). The clock is the recorded one
(`now=` the record's timestamp), so a replay is deterministic.

Going back is exact: the replayer keeps deep-copied engine snapshots every `snapshot_every` frames and recomputes
forward from the nearest one (snapshots are taken with subscribers detached and restored as fresh copies).

Inputs: our recordings (`core/recording/reader.py` reads any format version: it migrates) and the importers' formats
(reference-proxy logs, Claude Code transcripts). Imported formats have no tool definitions, so their requests are
replayed with `side=False` (otherwise every request would look like a tool-less side request).
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from ..model.config import PagerConfig
from ..engine.facade import Engine
from ..events import Event
from .drive import Driver
from .frames import FrameResult, ReplayClock, messages_size, outbound_size
from ..model.exchange import ResponseSummary
from ..model.tokens import TokenCounter
from .sources import (Frame, OperatorCommand, ReplaySource, frames_from_exchanges, frames_from_recording, load_source,
                      materialize)

# sources and frames are re-exported: callers read frames and replay them through one import
__all__ = ["Frame", "FrameResult", "OperatorCommand", "ReplayClock", "ReplaySource", "Replayer",
           "frames_from_exchanges", "frames_from_recording", "load_source", "materialize", "messages_size",
           "outbound_size"]


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
        self._renamed: dict[str, str] = getattr(self, "_renamed", {})  # recorded session id -> replayed one
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
        with eng.bus.detached():
            memo = {id(self.counter): self.counter, id(self.config): self.config}
            return copy.deepcopy((eng, dict(self._sids), self.clock), memo)[:2]

    def _restore(self, index: int) -> None:
        snap_eng, sids = self._snapshots[index]
        memo = {id(self.counter): self.counter, id(self.config): self.config}
        eng, self._sids = copy.deepcopy((snap_eng, sids), memo)
        self.clock = eng.clock
        eng.bus.subscribers.clear()
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
        driver = Driver(eng, self._sids, self._renamed, self.clock)
        collected: list[Event] = []
        unsub = eng.subscribe(collected.append)
        try:
            r = driver.request(frame.index, ex, frame.side, frame.label)
            usage: dict[str, int] = {}
            for kind, item in frame.after:
                if kind == "response":
                    idx, summary, ts = item
                    sent = r.tokens_out if idx == frame.index else None
                    applied = driver.response(idx, summary, ts or ex.ts, lambda s: self._rescale(idx, s, sent))
                    if applied is not None and idx == frame.index:
                        usage = dict(applied.usage)
                else:
                    driver.command(item.command, item.args, item.ts or ex.ts)
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
