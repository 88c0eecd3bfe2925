"""The pager facade: ingests client requests, produces outbound views, takes responses and operator commands.

Single-threaded and I/O-free: the proxy, the TUI, the recorder and replay all drive this one object. Its collaborators
do the work: EventBus, SessionDirectory, CommandQueue, Cooperation (the model's paging calls) and RequestPath.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping

from .. import events as ev
from ..commands.queue import CommandQueue
from ..commands.availability import why_not
from ..commands.registry import COMMANDS
from ..cooperative.service import MODEL_OPERATIONS, Cooperation
from ..errors import CommandError
from ..events import Event
from ..model.backing_store import BackingStore, MemoryStore
from ..model.config import PagerConfig
from ..model.exchange import ResponseSummary
from ..model.tokens import TokenCounter
from ..model.pages import Page
from ..paging.policies import make_policy
from ..session.session import Session
from ..session.spill import SessionTable
from .bus import EventBus
from .directory import SessionDirectory
from .requests import RequestPath, RequestResult
from .state_view import engine_state, session_state


class Engine:
    """Owns all sessions; subscribers get every event synchronously, in order."""

    def __init__(self, config: PagerConfig | None = None, store: BackingStore | None = None,
                 clock: Callable[[], float] | None = None, counter: TokenCounter | None = None) -> None:
        self.config = config or PagerConfig()
        self.store = store if store is not None else MemoryStore()
        self.clock = clock or time.time
        self.counter = counter or TokenCounter()
        self.policy = make_policy(self.config.policy)
        self.side_requests = self.failures = 0
        self.on_change: Callable[[], None] | None = None   # e.g. a persistent store's checkpoint
        self.bus = EventBus(self.clock)
        self.sessions: SessionTable = SessionTable(self)   # idle sessions may be spilled to a store (spill.py)
        self.directory = SessionDirectory(self.config, self.counter, self.bus, self.sessions)
        self.commands = CommandQueue(self.bus.emit, self._changed)
        self.coop = Cooperation(self.config, self.store, self.counter, self.bus, self.sessions, self.commands)
        self.requests = RequestPath(self.config, self.store, self.counter, self.bus, self.directory,
                                    self.commands, self.coop)

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        return self.bus.subscribe(callback)

    def on_request(self, callback: Callable[[dict, RequestResult], None]) -> Callable[[], None]:
        """Call `callback(body, result)` after every paged (non-side) request; returns the unsubscribe."""
        return self.bus.on_request(callback)

    def _changed(self) -> None:
        self.on_change() if self.on_change is not None else None

    def record_failure(self, where: str, error: str, session_id: str = "") -> None:
        """The proxy reports an engine failure it recovered from (fail-open), so it shows on the timeline."""
        self.failures += 1
        s = self.sessions.get(session_id)
        if s:
            s.stats.failures += 1
        self.bus.emit(ev.EngineFailed(where=where, error=error), s)

    def find_session(self, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Session | None:
        return self.directory.find(body, headers)

    def session(self, sid: str | None) -> Session:
        return self.directory.get(sid)

    def session_state(self, s: Session, pages: bool = True) -> dict[str, Any]:
        return session_state(s, pages)

    def state(self, pages: bool = True) -> dict[str, Any]:
        """JSON-able snapshot in the /_pichay/state shape."""
        return engine_state(self, pages)

    def handle_request(self, body: dict[str, Any], headers: Mapping[str, str] | None = None,
                       path: str = "/v1/messages", now: float | None = None,
                       side: bool | None = None) -> RequestResult:
        self.bus.tick(now)
        messages = body.get("messages")
        if not isinstance(messages, list) or (messages and not isinstance(messages[0], dict)):
            raise ValueError("request body has no valid 'messages' list")
        if side is None:
            side = not body.get("tools")
        if side:                                  # title generation, quota probes: not part of any page table
            self.side_requests += 1
            return RequestResult("", body, False, side=True)
        result = self.requests.handle_request(body, headers or {}, path, self.policy)
        self._changed()
        for hook in list(self.bus.request_hooks):
            hook(body, result)
        return result

    def preview(self, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self.requests.preview(body, headers)

    def _estimate(self, s: Session) -> int:
        return self.requests.estimate(s)

    def handle_response(self, session_id: str, response: ResponseSummary, now: float | None = None) -> list[Event]:
        self.sessions.leave(session_id)          # first, so no failure below can leave the session pinned in RAM
        s = self.sessions.get(session_id)
        if s is None:
            return []
        self.bus.tick(now)
        collected = self.requests.handle_response(s, response)
        self._changed()
        self.sessions.trim(keep=s.id)
        return collected

    def command(self, name: str, **args: Any) -> dict[str, Any]:
        """Validate and queue a named operator command; it applies at the session's next request."""
        if name not in COMMANDS:
            raise CommandError(f"unknown command {name!r}; known: {', '.join(sorted(COMMANDS))}", 404)
        if self.config.mode != "page":
            raise CommandError("the proxy is in observe mode; commands that change the context are disabled")
        s = self.session(args.get("session"))
        self.bus.tick()
        return self.queue(s, name, **{k: v for k, v in args.items() if k != "session"})

    def check(self, command: str, session: Session | None = None, page: Page | None = None,
              pending: str | None = None) -> tuple[bool, str]:
        """(applies now, why not) for an operator command on a page of a session: what the UI asks."""
        why = why_not(session, command, page, pending)
        return not why, why

    def queue(self, s: Session, name: str, **args: Any) -> dict[str, Any]:    # validated now, applied later
        return self.commands.queue(s, name, **args)

    def apply_recorded(self, name: str, args: dict[str, Any]) -> Any:
        """Re-apply a recorded command: an operator's named command or one of the model's cooperative calls."""
        if name in MODEL_OPERATIONS:
            return self.coop.apply_recorded(name, dict(args))
        return self.command(name, **args)

    def answer_phantom_calls(self, session_id: str, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.coop.answer_phantom_calls(session_id, calls)

    def apply_cleanup(self, session_id: str, ops: list[Any]) -> list[dict[str, Any]]:
        return self.coop.apply_cleanup(session_id, ops)

    def stage_splice(self, session_id: str, real_ids: list[str], uses: list[dict], results: list[dict]) -> None:
        self.coop.stage_splice(session_id, real_ids, uses, results)
