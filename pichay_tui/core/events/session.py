"""Payloads of the session events: a session started, a request was paged, a response came back, the zone or the
outbound prefix changed, an operator command was queued or applied, the engine failed open."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .base import UNSET, EventPayload, register


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStarted(EventPayload):
    """A new conversation; `client_key` says whether the client sent a session key."""

    KIND: ClassVar[str] = "session_started"
    client: str
    parent: str | None
    client_key: bool


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestPaged(EventPayload):
    """One request went through the pager; `changed` is false when the client's bytes went upstream untouched."""

    KIND: ClassVar[str] = "request_paged"
    request_no: int
    tokens_in: int
    tokens_out: int
    changed: bool
    path: str
    model: str


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseCompleted(EventPayload):
    """The upstream answered; `usage` is its usage object, `error` its failure text or None."""

    KIND: ClassVar[str] = "response_completed"
    usage: dict[str, Any]
    stop_reason: str | None
    status: int
    error: str | None


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneChanged(EventPayload):
    """The context pressure zone changed at `tokens`."""

    KIND: ClassVar[str] = "zone_changed"
    old: str
    new: str
    tokens: int


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class SweepApplied(EventPayload):
    """The pager changed the outbound prefix; the cache model's lookback rule needs blocks_after and messages_tokens."""

    KIND: ClassVar[str] = "sweep_applied"
    changed_pages: list[str]
    first_changed_index: int
    predicted_invalidated_tokens: int
    tokens_saved: int
    blocks_after: int = UNSET
    messages_tokens: int = UNSET


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class CollapseApplied(EventPayload):
    """A collapse replaced turns `collapse` = [first, last] with a summary (kind sweep_applied)."""

    KIND: ClassVar[str] = "sweep_applied"
    MARKER: ClassVar[str] = "collapse"
    changed_pages: list[str]
    first_changed_index: int
    collapse: list[int]
    predicted_invalidated_tokens: int
    tokens_saved: int


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class ToolsStubbed(EventPayload):
    """Tool definitions were stubbed or restored in the outbound header (kind sweep_applied, first index -1)."""

    KIND: ClassVar[str] = "sweep_applied"
    MARKER: ClassVar[str] = "tools_stubbed"
    changed_pages: list[str]
    tools_stubbed: list[str]
    tools_restored: list[str]
    first_changed_index: int
    predicted_invalidated_tokens: int
    tokens_saved: int


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class CommandQueued(EventPayload):
    """An operator command waits for the session's next request; `args` is the queued entry."""

    KIND: ClassVar[str] = "command_queued"
    command: str
    args: dict[str, Any]


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class CommandApplied(EventPayload):
    """A queued command ran: `result` when ok, `error` when not; cleanup failures send no args."""

    KIND: ClassVar[str] = "command_applied"
    command: str
    args: dict[str, Any] = UNSET
    ok: bool
    result: Any = UNSET
    error: str = UNSET


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class EngineFailed(EventPayload):
    """The proxy recovered from an engine failure at `where` (it failed open)."""

    KIND: ClassVar[str] = "engine_failed"
    where: str
    error: str
