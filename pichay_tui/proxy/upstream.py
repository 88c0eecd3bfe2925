"""The upstream side: one shared httpx.AsyncClient, header filtering both ways, and Anthropic-shaped errors."""
from __future__ import annotations

from typing import Iterable, Mapping

import httpx
import orjson

from ..core.model import redact

# RFC 9110 §7.6.1 connection-specific headers, plus the ones httpx/uvicorn recompute for the bytes they send.
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade",
})
REQUEST_DROP = HOP_BY_HOP | {"host", "content-length"}
RESPONSE_DROP = HOP_BY_HOP | {"content-length", "date", "server"}

# Timeouts (docs/reliability.md): connect 15 s, write 60 s, read 600 s between two chunks (a long generation still
# sends SSE pings), pool 30 s. No cap on open connections: a shared cap let one agent's hung requests take every
# connection and starve the others (70 hung requests, cap 64: everyone else got 504 PoolTimeout). Each hung request
# is bounded by its own read timeout and ends when its client disconnects.
DEFAULT_TIMEOUT = httpx.Timeout(connect=15.0, read=600.0, write=60.0, pool=30.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=32, keepalive_expiry=60.0)
KEEP_ALIVE = ("Connection", "keep-alive")
SEND_CHUNK = 1 << 20     # bytes: a bigger request body goes to the socket this much at a time (see _Pieces)


MAX_URLS = 256           # parsed upstream URLs kept (see Upstream._url)


def _keep_no_cookies(response: httpx.Response) -> None:
    """Stands in for httpx's cookie extraction (see Upstream.__init__)."""


class _Pieces(httpx.AsyncByteStream):
    """A big request body handed to the connection piece by piece, same bytes and Content-Length.

    Why: one write of a 50 MB body makes asyncio copy the unsent rest twice (slice, then its write buffer) in one
    event-loop callback, ~50 ms during which no other request or control call is answered (bench/loop_latency.py).
    """

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self):
        view = memoryview(self.data)
        for i in range(0, len(view), SEND_CHUNK):
            yield bytes(view[i:i + SEND_CHUNK])


def _connection_tokens(headers: Iterable[tuple[str, str]]) -> set[str]:
    """Header names a `Connection:` header declares hop-by-hop."""
    out: set[str] = set()
    for k, v in headers:
        if k.lower() == "connection":
            out.update(t.strip().lower() for t in v.split(",") if t.strip())
    return out


def request_headers(items: Iterable[tuple[str, str]], identity: bool = False) -> list[tuple[str, str]]:
    """End-to-end client headers for the upstream (auth, anthropic-*, user-agent...); `identity` asks for no
    compression because we must parse the response."""
    items = list(items)
    drop = REQUEST_DROP | _connection_tokens(items)
    if identity:
        drop = drop | {"accept-encoding"}
    out = [(k, v) for k, v in items if k.lower() not in drop]
    if identity:
        out.append(("accept-encoding", "identity"))
    return out


def response_headers(items: Iterable[tuple[str, str]], keep_length: bool = False) -> list[tuple[str, str]]:
    """Upstream response headers for the client; content-length is kept only when the raw bytes pass unchanged."""
    items = list(items)
    drop = RESPONSE_DROP | _connection_tokens(items)
    if keep_length:
        drop = drop - {"content-length"}
    return [(k, v) for k, v in items if k.lower() not in drop]


def safe_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers fit for a recording or a log: never keys, tokens, secrets, auth, cookies or sessions."""
    return {k: v for k, v in redact.safe_headers(headers).items() if k not in HOP_BY_HOP}


def error_body(message: str, kind: str = "api_error") -> bytes:
    """An error body in the Anthropic shape, so SDKs raise a typed error."""
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})


def sse_error(message: str, kind: str = "api_error") -> bytes:
    """An SSE `error` event (what the API sends when a stream fails after it started)."""
    return b"event: error\ndata: " + error_body(message, kind) + b"\n\n"


class Upstream:
    """The shared connection pool to one upstream base URL (keep-alive, no shared cap, never blocking the loop)."""

    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = httpx.AsyncClient(timeout=timeout, limits=DEFAULT_LIMITS, transport=transport,
                                        follow_redirects=False)
        # No cookie jar shared by every agent behind the proxy: an upstream's Set-Cookie reaches the client that got
        # it (response_headers keeps it) and is never stored here and sent with everyone's later requests. Also
        # saves the ~20 µs httpx spends per response on building urllib objects for its jar.
        self.client.cookies.extract_cookies = _keep_no_cookies    # type: ignore[method-assign]
        self._urls: dict[tuple[str, str], httpx.URL] = {}      # parsed once: agents call the same few paths

    def url(self, path: str, query: str = "") -> str:
        return self.base_url + path + (f"?{query}" if query else "")

    def _url(self, path: str, query: str) -> httpx.URL:
        """The parsed upstream URL (raises httpx.InvalidURL like build_request would for the string)."""
        url = self._urls.get((path, query))
        if url is None:
            url = httpx.URL(self.url(path, query))
            if len(self._urls) >= MAX_URLS:
                self._urls.clear()
            self._urls[(path, query)] = url
        return url

    def build(self, method: str, path: str, query: str, headers: list[tuple[str, str]],
              content: bytes | None) -> httpx.Request:
        """The upstream request (raises httpx.InvalidURL for a path httpx cannot send): the client's end-to-end
        headers only, not the pool's defaults (httpx would add its own Accept and User-Agent; and half the ~30 µs of
        `client.build_request` is merging those and an empty cookie jar). `Connection` is hop-by-hop, ours to set:
        without keep-alive, the benchmark's upstream (uvicorn) answered a 330 KB request ~3 ms later."""
        req = httpx.Request(method, self._url(path, query), headers=[*headers, KEEP_ALIVE], content=content)
        if content is not None and len(content) > SEND_CHUNK:
            req.stream = _Pieces(content)    # headers (Content-Length) were set from the bytes; only the writes split
        return req

    async def send_request(self, req: httpx.Request) -> httpx.Response:
        """Start a built request and return as soon as the response headers arrive (the body is streamed later)."""
        return await self.client.send(req, stream=True)

    async def send(self, method: str, path: str, query: str, headers: list[tuple[str, str]],
                   content: bytes | None) -> httpx.Response:
        """Build and start a request (see send_request)."""
        return await self.send_request(self.build(method, path, query, headers, content))

    async def aclose(self) -> None:
        await self.client.aclose()
