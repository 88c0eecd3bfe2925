"""The pager facade: ingests client requests, produces outbound views, takes responses and operator commands.

INTERFACE FIRST: signatures here are the contract the proxy, UI, recorder and replay build against.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .events import Event
from .exchange import ResponseSummary


@dataclass(slots=True)
class RequestResult:
    """Outcome of one client request: which session, what to send upstream, what happened."""

    session_id: str
    outbound: dict[str, Any]          # the body to send upstream (the client's own body in observe mode)
    changed: bool                     # False when outbound is the client's body unchanged
    events: list[Event] = field(default_factory=list)
    request_no: int = 0


class Engine:
    """Owns all sessions; single-threaded, no I/O. Subscribers get every event synchronously."""

    def __init__(self, config: Any = None, store: Any = None, clock: Callable[[], float] | None = None) -> None:
        raise NotImplementedError

    def handle_request(self, body: dict[str, Any], headers: Mapping[str, str] | None = None,
                       path: str = "/v1/messages", now: float | None = None) -> RequestResult:
        raise NotImplementedError

    def handle_response(self, session_id: str, response: ResponseSummary, now: float | None = None) -> list[Event]:
        raise NotImplementedError

    def command(self, name: str, **args: Any) -> dict[str, Any]:
        """Run a named operator command (page.evict, page.pin, ...); returns {"ok": True, ...} or raises CommandError."""
        raise NotImplementedError

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        """JSON-able snapshot in the /_pichay/state shape."""
        raise NotImplementedError
