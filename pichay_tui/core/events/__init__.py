"""Typed, past-tense events emitted by the core; the UI, the recorder and replay consume exactly these.

An `Event` is an envelope (kind, session, turn, ts, seq) around a plain `data` dict, because recordings and the
control API carry that dict as JSON; `Event.payload` is the same data as one frozen dataclass per kind (h11's
`_events.py` style), so consumers can `match e.payload: case PageEvicted(reason=r): ...`. Emitters build a payload
and send `payload.to_dict()`; the kind strings below stay stable because recordings carry them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .base import PAYLOADS, UNSET, EventPayload, Unknown, given, payload_of, register
from .pages import (ClientCleared, PageAdded, PageClearedByClient, PageEvicted, PageFaulted, PagePinned,
                    PageRestored, PageUnpinned)
from .session import (CollapseApplied, CommandApplied, CommandQueued, EngineFailed, RequestPaged,
                      ResponseCompleted, SessionStarted, SweepApplied, ToolsStubbed, ZoneChanged)

PAGE_ADDED = PageAdded.KIND
PAGE_EVICTED = PageEvicted.KIND
PAGE_FAULTED = PageFaulted.KIND
PAGE_PINNED = PagePinned.KIND
PAGE_UNPINNED = PageUnpinned.KIND
PAGE_RESTORED = PageRestored.KIND
PAGE_CLEARED_BY_CLIENT = PageClearedByClient.KIND
CLIENT_CLEARED = ClientCleared.KIND
ZONE_CHANGED = ZoneChanged.KIND
SWEEP_APPLIED = SweepApplied.KIND          # also CollapseApplied and ToolsStubbed: one kind, three shapes
SESSION_STARTED = SessionStarted.KIND
REQUEST_PAGED = RequestPaged.KIND
RESPONSE_COMPLETED = ResponseCompleted.KIND
COMMAND_QUEUED = CommandQueued.KIND
COMMAND_APPLIED = CommandApplied.KIND
ENGINE_FAILED = EngineFailed.KIND

__all__ = [
    "Event", "EventPayload", "PAYLOADS", "UNSET", "Unknown", "given", "payload_of", "register",
    "ClientCleared", "PageAdded", "PageClearedByClient", "PageEvicted", "PageFaulted", "PagePinned", "PageRestored",
    "PageUnpinned", "CollapseApplied", "CommandApplied", "CommandQueued", "EngineFailed", "RequestPaged",
    "ResponseCompleted", "SessionStarted", "SweepApplied", "ToolsStubbed", "ZoneChanged",
]


@dataclass(frozen=True, slots=True)
class Event:
    """One fact about a session; `seq` orders events globally within an engine."""

    kind: str
    session: str
    turn: int
    ts: float
    data: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0
    _payload: EventPayload | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def payload(self) -> EventPayload:
        """`data` as its kind's frozen dataclass (Unknown for a kind no class is registered for); built once."""
        p = self._payload
        if p is None:
            p = payload_of(self.kind, self.data)
            object.__setattr__(self, "_payload", p)     # a cache of a pure function of frozen fields
        return p

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "session": self.session, "turn": self.turn, "ts": self.ts,
                "seq": self.seq, "data": self.data}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Event":
        return cls(kind=d["kind"], session=d["session"], turn=d.get("turn", 0), ts=d.get("ts", 0.0),
                   data=dict(d.get("data") or {}), seq=d.get("seq", 0))
