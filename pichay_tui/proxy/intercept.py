"""Intercept mode: hold each /v1/messages request until the operator releases it.

While a request is held the operator can look at the page table and queue evict/pin/collapse commands; they apply to
exactly that request once it is released (the engine applies queued commands at the session's next request). A held
request is dropped when its client disconnects, and released by a safety timeout so an agent is never stuck. Turning
intercept off releases everything. This object knows nothing about widgets: listeners get plain dicts.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from ..core.errors import CommandError
from ..core.events import UNSET, EventPayload
from .intercept_events import HeldRequest, InterceptChanged, RequestDropped, RequestHeld, RequestReleased
from .disconnect import wait_disconnect

DEFAULT_TIMEOUT = 300.0
NEW_SESSION = "new session"

# event kinds pushed to /_pichay/events subscribers (proxy-level, never recorded by the core); payloads in intercept_events
REQUEST_HELD = RequestHeld.KIND
REQUEST_RELEASED = RequestReleased.KIND
REQUEST_DROPPED = RequestDropped.KIND
INTERCEPT_CHANGED = InterceptChanged.KIND

COMMANDS: dict[str, str] = {
    "intercept.toggle": "turn intercept mode on or off (held requests are released when it goes off)",
    "intercept.on": "hold every /v1/messages request until released (optional: timeout seconds)",
    "intercept.off": "stop holding requests and release every held one",
    "intercept.release": "let one held request go (optional: id; default the oldest)",
    "intercept.release_all": "let every held request go",
}
COMMAND_ARGS: dict[str, tuple[str, ...]] = {"intercept.on": ("timeout",), "intercept.release": ("id",)}


@dataclass
class Held:
    id: str
    session: str
    path: str
    messages: int
    arrived: float                     # monotonic
    event: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""                   # why it was released; "" while held

    def to_dict(self, now: float) -> dict[str, Any]:
        return {"id": self.id, "session": self.session, "path": self.path, "messages": self.messages,
                "waiting_s": round(max(0.0, now - self.arrived), 3)}

    def as_event(self, cls: type[HeldRequest], now: float, reason: str = UNSET, done: bool = False) -> HeldRequest:
        """This request as an event payload: `waiting_s` while it is held, `waited_s` once `done`."""
        waited = round(max(0.0, now - self.arrived), 3)
        return cls(id=self.id, session=self.session, path=self.path, messages=self.messages,
                   waiting_s=UNSET if done else waited, waited_s=waited if done else UNSET, reason=reason)


class Intercept:
    """The hold queue (FIFO). `await hold(...)` in the route; `release`, `release_all`, `toggle` from commands."""

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = False
        self.timeout = timeout
        self.clock = clock
        self.held: OrderedDict[str, Held] = OrderedDict()
        self._n = 0
        self._listeners: list[Callable[[str, dict[str, Any]], None]] = []

    # ---- listeners ----
    def subscribe(self, callback: Callable[[str, dict[str, Any]], None]) -> Callable[[], None]:
        """`callback(kind, data)` on every change; returns an unsubscribe function."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _notify(self, payload: EventPayload) -> None:
        kind, data = payload.KIND, payload.to_dict()
        for cb in list(self._listeners):
            try:
                cb(kind, data)
            except Exception:  # noqa: BLE001 - a listener never breaks forwarding
                pass

    # ---- state ----
    def snapshot(self) -> dict[str, Any]:
        now = self.clock()
        return {"enabled": self.enabled, "timeout_s": self.timeout,
                "held": [h.to_dict(now) for h in self.held.values()]}

    def set(self, on: bool, timeout: float | None = None) -> dict[str, Any]:
        if timeout is not None:
            self.timeout = float(timeout) if timeout else None
        changed = on != self.enabled
        self.enabled = on
        released = [] if on else self.release_all("off")
        if changed:
            self._notify(InterceptChanged(enabled=on))
        return {"enabled": self.enabled, "released": released}

    def toggle(self) -> dict[str, Any]:
        return self.set(not self.enabled)

    # ---- releasing ----
    def release(self, id: str | None = None, reason: str = "operator") -> str:
        """Release one held request (the oldest when `id` is None); returns its id. CommandError if none."""
        if id is None:
            if not self.held:
                raise CommandError("no request is held", 409)
            id = next(iter(self.held))
        h = self.held.get(id)
        if h is None:
            raise CommandError(f"no held request {id!r}; held: {', '.join(self.held) or 'none'}", 404)
        self._release(h, reason)
        return id

    def release_all(self, reason: str = "all") -> list[str]:
        ids = list(self.held)
        for h in list(self.held.values()):
            self._release(h, reason)
        return ids

    def _release(self, h: Held, reason: str) -> None:
        if not h.reason:
            h.reason = reason
        self.held.pop(h.id, None)
        h.event.set()

    # ---- holding ----
    async def hold(self, receive: Callable[[], Any], session: str, path: str, messages: int) -> str:
        """Wait until released; returns the reason ("operator", "all", "off", "timeout", "shutdown") or
        "disconnected" when the client went away (then the request must not be forwarded). Call after the body
        was read (we watch `receive` for the disconnect)."""
        self._n += 1
        h = Held(f"h{self._n}", session or NEW_SESSION, path, messages, self.clock())
        self.held[h.id] = h
        self._notify(h.as_event(RequestHeld, h.arrived))
        watch = asyncio.ensure_future(wait_disconnect(receive))
        freed = asyncio.ensure_future(h.event.wait())
        timeout = self.timeout if self.timeout and self.timeout > 0 else None
        try:
            done, _ = await asyncio.wait({watch, freed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            h.reason = h.reason or "cancelled"
            self.held.pop(h.id, None)
            self._notify(h.as_event(RequestDropped, self.clock(), h.reason))
            raise
        finally:
            watch.cancel()
            freed.cancel()
        if watch in done:
            reason, kind = "disconnected", RequestDropped
        else:
            reason, kind = h.reason or "timeout", RequestReleased
        h.reason = reason
        self.held.pop(h.id, None)
        self._notify(h.as_event(kind, self.clock(), reason, done=True))
        return reason

    # ---- named commands (control API, keys, palette) ----
    def command(self, name: str, **args: Any) -> dict[str, Any]:
        if name not in COMMANDS:
            raise CommandError(f"unknown command {name!r}; known: {', '.join(sorted(COMMANDS))}", 404)
        extra = set(args) - set(COMMAND_ARGS.get(name, ())) - {"session"}
        if extra:
            raise CommandError(f"bad arguments for {name}: {', '.join(sorted(extra))}", 400)
        if name == "intercept.toggle":
            result = self.toggle()
        elif name == "intercept.on":
            timeout = args.get("timeout")
            if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                        or timeout < 0):
                raise CommandError("timeout must be a number of seconds (0 = none)", 400)
            result = self.set(True, timeout)
        elif name == "intercept.off":
            result = self.set(False)
        elif name == "intercept.release":
            rid = args.get("id")
            if rid is not None and not isinstance(rid, str):
                raise CommandError("id must be a string like 'h1'", 400)
            result = {"released": [self.release(rid)]}
        else:
            result = {"released": self.release_all()}
        return {"ok": True, "command": name, "result": {**result, "intercept": self.snapshot()}}
