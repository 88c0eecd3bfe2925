"""The engine's event bus: numbers events, fans them out in order, remembers which sessions changed."""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..events import Event, EventPayload

if TYPE_CHECKING:
    from ..session.session import Session


class EventBus:
    """The only place Events are built; subscribers get every event synchronously, in order.

    `now` is the clock of the request (or command) being handled, so every event it causes carries the same time.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.now = 0.0
        self.seq = 0
        self.touched: set[str] = set()            # sessions changed since the last checkpoint
        self.subscribers: list[Callable[[Event], None]] = []
        self.request_hooks: list[Callable[[dict, Any], None]] = []   # see Engine.on_request
        self._collect: list[Event] | None = None

    def tick(self, now: float | None = None) -> float:
        """Start handling something at `now` (the clock if not given); events until the next tick carry it."""
        self.now = now if now is not None else self.clock()
        return self.now

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self.subscribers.append(callback)
        return lambda: self.subscribers.remove(callback) if callback in self.subscribers else None

    def on_request(self, callback: Callable[[dict, Any], None]) -> Callable[[], None]:
        hooks = self.request_hooks
        hooks.append(callback)
        return lambda: hooks.remove(callback) if callback in hooks else None

    def emit(self, payload: EventPayload, session: "Session | None") -> Event:
        """Number the event, stamp it with the session's turn and `now`, and hand it to every subscriber."""
        self.seq += 1
        e = Event(kind=payload.KIND, session=session.id if session else "", turn=session.turn if session else 0,
                  ts=self.now or self.clock(), data=payload.to_dict(), seq=self.seq)
        if session is not None:
            self.touched.add(session.id)
        if self._collect is not None:
            self._collect.append(e)
        for cb in list(self.subscribers):
            cb(e)
        return e

    @contextmanager
    def collecting(self) -> Iterator[list[Event]]:
        """The events emitted inside the block, in order (a request's or a response's own events)."""
        self._collect = collected = []
        try:
            yield collected
        finally:
            self._collect = None

    @contextmanager
    def detached(self) -> Iterator[None]:
        """No subscriber or hook inside the block: an engine snapshot (deepcopy) must not copy the UI along."""
        subs, hooks = self.subscribers, self.request_hooks
        self.subscribers, self.request_hooks = [], []
        try:
            yield
        finally:
            self.subscribers, self.request_hooks = subs, hooks
