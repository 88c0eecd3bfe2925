"""Payloads of the intercept events the proxy pushes to /_pichay/events (never recorded by the core).

They register in the core's payload table so `Event.payload` types them too, without the core knowing proxy kinds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core.events import UNSET, EventPayload, register


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldRequest(EventPayload):
    """One request in the hold queue: `waiting_s` while held (or when cancelled), `waited_s` once let go."""

    id: str
    session: str
    path: str
    messages: int
    waiting_s: float = UNSET
    waited_s: float = UNSET
    reason: str = UNSET


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestHeld(HeldRequest):
    """A request waits for the operator."""

    KIND: ClassVar[str] = "request_held"


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestReleased(HeldRequest):
    """A held request went upstream; reason is "operator", "all", "off", "timeout" or "shutdown"."""

    KIND: ClassVar[str] = "request_released"


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestDropped(HeldRequest):
    """A held request was not forwarded; reason "disconnected" (the client left) or "cancelled"."""

    KIND: ClassVar[str] = "request_dropped"


@register
@dataclass(frozen=True, slots=True, kw_only=True)
class InterceptChanged(EventPayload):
    """Intercept mode was turned on or off."""

    KIND: ClassVar[str] = "intercept_changed"
    enabled: bool
