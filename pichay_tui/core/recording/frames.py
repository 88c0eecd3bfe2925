"""What one replayed frame produced, and the clock and size measures the Replayer uses to produce it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ..events import Event


class ReplayClock:
    """The engine's clock during replay: the timestamp of the step being applied."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


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
