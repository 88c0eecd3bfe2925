"""Payloads of the page events: a block became a page, left the view, came back, was pinned or cleared."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from .base import UNSET, EventPayload, register


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class PageAdded(EventPayload):
    """A block became a page: header pages send no tool, key or msg."""

    KIND: ClassVar[str] = "page_added"
    page: str
    kind: str
    tool: str | None = UNSET
    key: str | None = UNSET
    tokens: int
    bytes: int
    msg: int = UNSET


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class PageEvicted(EventPayload):
    """A page left the model's view; reason is "age", "compact", "operator", "release" or "summarize"; `paged` is
    false for a page with no key (garbage-collected: it cannot fault back)."""

    KIND: ClassVar[str] = "page_evicted"
    page: str
    tool: str | None
    key: str | None
    tokens: int
    bytes: int
    reason: str
    paged: bool


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class PageFaulted(EventPayload):
    """The model asked again for an evicted page (the fields of session.Fault)."""

    KIND: ClassVar[str] = "page_faulted"
    page: str
    new_page: str | None
    key: str
    turn: int
    ts: float
    eviction_turn: int
    turns_since: int
    seconds_since: float
    major: bool
    tokens: int


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class PagePinned(EventPayload):
    """A page is kept resident; reason is "fault", "operator" or "anchor"."""

    KIND: ClassVar[str] = "page_pinned"
    page: str
    reason: str
    tool: str | None
    key: str | None


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class PageUnpinned(EventPayload):
    """A pin ended; `was` is the old pin reason (None if there was none)."""

    KIND: ClassVar[str] = "page_unpinned"
    page: str
    reason: str
    was: str | None


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class PageRestored(EventPayload):
    """An evicted page is back in the model's view."""

    KIND: ClassVar[str] = "page_restored"
    page: str
    reason: str
    tokens: int


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class PageClearedByClient(EventPayload):
    """The client itself replaced a tool result (reason "microcompact")."""

    KIND: ClassVar[str] = "page_cleared_by_client"
    page: str
    tokens: int
    reason: str


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class ClientCleared(EventPayload):
    """The client dropped history from message `from_` on; reason is "microcompact", "compact", "clear" or "rewrite"."""

    KIND: ClassVar[str] = "client_cleared"
    RENAMED: ClassVar[Mapping[str, str]] = {"from_": "from"}
    reason: str
    pages: int
    epoch: int
    from_: int
