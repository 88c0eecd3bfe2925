"""Operator and model commands waiting for a session's next request, and what applying them asks of the sweep."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from .. import events as ev
from ..errors import CommandError
from ..model.pages import Page
from .registry import COMMANDS

if TYPE_CHECKING:
    from ..paging.pager import Pager
    from ..session.session import Session

Emit = Callable[[ev.EventPayload, "Session | None"], Any]


@dataclass(frozen=True, slots=True)
class ForcedEviction:
    """A page a command evicts in this request's sweep, whatever the policy says."""

    page: Page
    reason: str


@dataclass(slots=True)
class Applied:
    """What the applied commands ask of this request's sweep: pages to evict now, and whether to compact."""

    evictions: list[ForcedEviction] = field(default_factory=list)
    compact: bool = False

    def evict(self, page: Page, reason: str) -> None:
        self.evictions.append(ForcedEviction(page, reason))

    def request_compact(self) -> None:
        self.compact = True


class CommandQueue:
    """Validates commands when they are issued, queues them on the session, applies them at its next request."""

    def __init__(self, emit: Emit, on_change: Callable[[], None]) -> None:
        self._emit, self._on_change = emit, on_change

    def queue(self, s: "Session", name: str, **args: Any) -> dict[str, Any]:
        """Validate a command against the session now and queue it for the next request."""
        spec = COMMANDS[name]
        args = {k: v for k, v in args.items() if v is not None}
        spec.validate(s, args)
        entry = {"command": name, **args, "session": s.id}
        s.pending.append(entry)
        self._emit(ev.CommandQueued(command=name, args=entry), s)
        self._on_change()
        return {"ok": True, "queued": True, "command": name, "session": s.id, "page": args.get("page"),
                "applies": "at the next request of this session"}

    def apply_pending(self, s: "Session", pager: "Pager") -> Applied:
        """Apply the session's queued commands in order; a command that no longer validates is reported, not raised."""
        applied = Applied()
        pending, s.pending = s.pending, []
        for cmd in pending:
            spec = COMMANDS[cmd["command"]]
            try:
                result = spec.apply(pager, cmd, applied)
                self._emit(ev.CommandApplied(command=cmd["command"], args=cmd, ok=True,
                                             result=result), s)
            except CommandError as e:
                self._emit(ev.CommandApplied(command=cmd["command"], args=cmd, ok=False,
                                             error=str(e)), s)
        return applied
