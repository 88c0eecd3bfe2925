"""One API call as seen by the pager: the client's request and a summary of the upstream response."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ResponseSummary:
    """What the pager needs from a response: usage, stop reason, and the assistant content blocks."""

    status: int = 200
    usage: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None
    content: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "usage": self.usage, "stop_reason": self.stop_reason,
                "content": self.content, "error": self.error}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "ResponseSummary":
        d = d or {}
        return cls(status=d.get("status", 200), usage=dict(d.get("usage") or {}),
                   stop_reason=d.get("stop_reason"), content=list(d.get("content") or []),
                   error=d.get("error"))


@dataclass(slots=True)
class Exchange:
    """A request body (as the client sent it) plus its response; importers and recordings both yield these."""

    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    response: ResponseSummary | None = None
    ts: float = 0.0
    path: str = "/v1/messages"
    source: str = ""  # where it came from, e.g. "recording", "legacy-proxy", "transcript"
