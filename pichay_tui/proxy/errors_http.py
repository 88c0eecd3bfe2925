"""Errors the proxy answers itself, always in Anthropic's JSON error shape, never Starlette's text/plain page."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .disconnect import stop_watching
from .upstream import error_body


class UpstreamFailed(Response):
    """An error we answer ourselves in Anthropic's shape because the upstream gave no response."""

    def __init__(self, status: int, message: str, kind: str) -> None:
        super().__init__(error_body(message, kind), status, media_type="application/json")
        self.message = message


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (a bad method, a malformed request) in the Anthropic shape, never text/plain."""
    status = getattr(exc, "status_code", 500)
    return UpstreamFailed(status, str(getattr(exc, "detail", "") or exc),
                          "invalid_request_error" if status < 500 else "api_error")


async def unexpected(request: Request, exc: Exception) -> Response:
    """Last resort for a bug of ours: an Anthropic-shaped 500 instead of Starlette's text/plain page."""
    stop_watching(request.scope)       # a watcher kept by the upstream send must not cancel this answer
    return UpstreamFailed(500, f"pichay-tui internal error: {type(exc).__name__}: {exc}", "api_error")
