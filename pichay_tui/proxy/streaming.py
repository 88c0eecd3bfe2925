"""Relaying an upstream response to the client chunk by chunk while a core parser follows along.

The bytes the client receives are exactly the upstream's raw bytes (still compressed if the upstream compressed
them); the side parser decodes its own copy, so a parsing problem can never corrupt or stall the stream.
"""
from __future__ import annotations

import zlib
from typing import Callable

import httpx
import orjson

from ..core.model.exchange import ResponseSummary
from ..core.wire.accumulator import MessageAccumulator
from ..core.wire.sse import FieldDecoder
from .disconnect import ClientLeft, unless_client_leaves
from .upstream import sse_error

MAX_JSON_BODY = 64 * 1024 * 1024


class SideParser:
    """Summarizes an SSE or JSON Messages response from raw bytes; never raises, disables itself instead.

    `feed` only keeps the chunk: the parsing runs once PARSE_AT bytes are waiting, or in `summary` (after the last
    byte reached the client), so the relay never delays a chunk, and the end of the response, for our parsing.
    """

    PARSE_AT = 64 * 1024     # bytes waiting before they are parsed (bounds what a long stream keeps unparsed)

    def __init__(self, content_type: str, content_encoding: str) -> None:
        self.sse = content_type.startswith("text/event-stream")
        self.problem: str | None = None
        enc = content_encoding.strip().lower()
        self._inflate = None
        if enc == "gzip":
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._inflate = zlib.decompressobj()
        elif enc not in ("", "identity"):
            self.problem = f"cannot parse a {enc}-encoded response"
        self._acc = MessageAccumulator()
        self._dec = FieldDecoder() if self.sse else None
        self._buf = bytearray()
        self._waiting: list[bytes] = []
        self._waiting_size = 0

    def feed(self, chunk: bytes) -> None:
        if self.problem:
            return
        self._waiting.append(chunk)
        self._waiting_size += len(chunk)
        if self._waiting_size >= self.PARSE_AT:
            self._parse_waiting()

    def _parse_waiting(self) -> None:
        chunk = self._waiting[0] if len(self._waiting) == 1 else b"".join(self._waiting)
        self._waiting.clear()
        self._waiting_size = 0
        if self.problem or not chunk:
            return
        try:
            if self._inflate is not None:
                chunk = self._inflate.decompress(chunk)
            if self._dec is not None:
                for name, data in self._dec.feed(chunk):
                    self._apply(name, data)
            elif len(self._buf) + len(chunk) <= MAX_JSON_BODY:
                self._buf += chunk
            else:
                self.problem = "response body too large to parse"
        except Exception as e:  # noqa: BLE001 - the relay must survive any parsing bug
            self.problem = f"side parser failed: {type(e).__name__}: {e}"

    def _apply(self, name: str | None, data: str) -> None:
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        if isinstance(obj, dict):
            self._acc.feed(name, obj)

    def summary(self, status: int, complete: bool = True) -> ResponseSummary:
        self._parse_waiting()
        if not self.problem and complete:
            try:
                if self._dec is not None:
                    for name, data in self._dec.flush():
                        self._apply(name, data)
                elif self._buf:
                    msg = orjson.loads(bytes(self._buf))
                    if isinstance(msg, dict):
                        self._acc = MessageAccumulator.from_json_message(msg)
            except Exception as e:  # noqa: BLE001
                self.problem = f"side parser failed: {type(e).__name__}: {e}"
        out = self._acc.to_summary(status)
        if self.problem and not out.error:
            out.error = self.problem
        return out


class Relay:
    """Owns an open upstream response: yields its raw chunks, then reports a summary exactly once."""

    def __init__(self, resp: httpx.Response, parser: SideParser | None,
                 on_done: Callable[[ResponseSummary], None] | None = None) -> None:
        self.resp = resp
        self.parser = parser
        self.on_done = on_done
        self.failure: str | None = None
        self.disconnected = False
        self.complete = False
        self._closed = False

    @property
    def sse(self) -> bool:
        return self.resp.headers.get("content-type", "").startswith("text/event-stream")

    async def chunks(self):
        try:
            async for chunk in self.resp.aiter_raw():
                yield chunk                  # the client first; our parsing runs while it reads
                if self.parser is not None:
                    self.parser.feed(chunk)
            self.complete = True
        except httpx.TransportError as e:  # reset, read timeout, protocol error mid-body
            self.failure = f"upstream stream failed: {type(e).__name__}: {e or 'connection lost'}"
            if not self.sse:
                raise
            yield sse_error(self.failure)

    async def close(self) -> None:
        """Release the upstream connection (cancelling it if unfinished) and report to the engine; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._release()
        finally:
            if self.on_done is not None:
                status = self.resp.status_code
                if self.failure:
                    status = 502
                elif self.disconnected and not self.complete:
                    status = 499
                try:
                    summary = self._summary(status)
                except Exception as e:  # noqa: BLE001 - a bug in our summary must not skip finishing the exchange
                    summary = ResponseSummary(status=status, error=f"summary failed: {type(e).__name__}: {e}")
                if self.failure:
                    summary.error = self.failure
                elif status == 499:
                    summary.error = summary.error or "client disconnected"
                self.on_done(summary)


    async def prepare(self) -> int | None:
        """Work to do before the response status is sent; may return a different status (default: none)."""
        return None

    async def _release(self) -> None:
        await self.resp.aclose()

    def _summary(self, status: int) -> ResponseSummary:
        return self.parser.summary(status, self.complete) if self.parser is not None else ResponseSummary(status=status)


class RelayResponse:
    """ASGI response streaming a Relay; a client disconnect cancels the upstream request at once."""

    def __init__(self, relay: Relay, status: int, headers: list[tuple[str, str]]) -> None:
        self.relay = relay
        self.status = status
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]

    async def _stream(self, send) -> None:
        status = await self.relay.prepare() or self.status
        await send({"type": "http.response.start", "status": status, "headers": self.headers})
        async for chunk in self.relay.chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def __call__(self, scope, receive, send) -> None:
        try:
            await unless_client_leaves(receive, self._stream(send), scope)   # the upstream send's watcher
        except (ClientLeft, OSError):  # OSError: the client vanished while we were writing
            self.relay.disconnected = True
        finally:
            await self.relay.close()
