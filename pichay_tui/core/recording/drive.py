"""The one replay loop: recorded engine calls applied to an engine the way the live proxy made them.

Both replay paths go through `Driver`: `replay()` over the steps of a recording (tests, headless checks) and the
`Replayer` over frames (the TUI, analysis), so the skip rules live here only: a request the live engine did not process
is skipped; a request on which the live engine failed is tried again (the failure may have been transient) and skipped
if it fails again; a command that no longer validates is skipped, as it was refused live.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from ..events import Event
from ..model.exchange import Exchange, ResponseSummary
from .reader import RecordedRequest, RecordedResponse, Step, read_recording


def follow_session(args: dict[str, Any], renamed: Mapping[str, str]) -> dict[str, Any]:
    """A recorded command's arguments naming the replayed session: ids derive from the client's session key,
    which recordings older than the key's pseudonym hold in clear, so an old recording replays under new ids."""
    sid = args.get("session")
    return {**args, "session": renamed[sid]} if isinstance(sid, str) and sid in renamed else args


class Driver:
    """Applies recorded requests, responses and commands to `engine`.

    `sids` maps a request's key (record id or frame index) to the session it hit, until its response is applied;
    `renamed` maps recorded session ids to replayed ones. Both may be the caller's own dicts, so the Replayer's
    snapshots keep them in step with its engine. With a `clock` (anything with a writable `now`), it is set to each
    call's recorded time first, so the engine's own clock reads the recording's time too.
    """

    def __init__(self, engine: Any, sids: dict[Any, str] | None = None, renamed: dict[str, str] | None = None,
                 clock: Any = None) -> None:
        self.engine = engine
        self.sids = {} if sids is None else sids
        self.renamed = {} if renamed is None else renamed
        self.clock = clock

    def request(self, key: Any, exchange: Exchange, side: bool | None, label: str = "",
                failure: str | None = None) -> Any:
        """The engine's RequestResult for a recorded request; None when it failed again where it failed live."""
        if self.clock is not None:
            self.clock.now = exchange.ts
        try:
            r = self.engine.handle_request(exchange.body, exchange.headers, exchange.path, now=exchange.ts, side=side)
        except Exception:  # noqa: BLE001 - only a request that failed live may fail in replay
            if not failure:
                raise
            return None
        self.sids[key] = r.session_id
        if label:
            self.renamed[label] = r.session_id
        return r

    def response(self, key: Any, summary: ResponseSummary, now: float,
                 adjust: Callable[[ResponseSummary], ResponseSummary] | None = None) -> ResponseSummary | None:
        """The response to request `key`, as `adjust` changes it, if that request reached a session; what was applied."""
        sid = self.sids.pop(key, "")
        if not sid:
            return None
        if self.clock is not None:
            self.clock.now = now
        if adjust is not None:
            summary = adjust(summary)
        self.engine.handle_response(sid, summary, now=now)
        return summary

    def command(self, command: str, args: dict[str, Any], now: float | None = None) -> None:
        """A command the live engine accepted, naming the replayed session."""
        if self.clock is not None and now is not None:
            self.clock.now = now
        try:
            self.engine.apply_recorded(command, follow_session(args, self.renamed))
        except Exception:  # noqa: BLE001 - a command that no longer validates is skipped, as live
            pass

    def step(self, step: Step) -> None:
        """One step of a recording, keyed by its record id."""
        if isinstance(step, RecordedRequest):
            if step.engine:
                self.request(step.id, step.exchange, step.side, step.session, step.failure)
        elif isinstance(step, RecordedResponse):
            self.response(step.id, step.response, step.ts)
        elif step.ok:
            self.command(step.command, step.args)


def replay(steps: Iterator[Step] | str | Path, engine: Any) -> list[Event]:
    """Drive a fresh core Engine through a recording exactly as the live one was driven; returns its events."""
    if isinstance(steps, (str, Path)):
        steps = read_recording(steps)
    out: list[Event] = []
    unsubscribe = engine.subscribe(out.append)
    driver = Driver(engine)
    try:
        for step in steps:
            driver.step(step)
    finally:
        unsubscribe()
    return out
