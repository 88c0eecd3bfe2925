"""The proxy's routes: /v1/messages through the pager, count_tokens on the paged view, everything else unchanged."""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any, Callable

import httpx
import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.cooperative.phantom import PHANTOM_TOOL_DEFS
from ..core.events import Event
from ..core.model.exchange import ResponseSummary
from ..core.ingest.precompute import precompute, using
from ..core.wire.incremental import ParseCache
from ..core.wire.parse import loads, loads_in_pieces
from ..core.wire.splice import Memo, splice
from .control import control_routes
from .errors_http import UpstreamFailed, http_exception, unexpected
from .exchange_log import ExchangeLog
from .guard import ControlGuard, new_token
from .cooperative import CooperativeRelay
from .intercept import NEW_SESSION, Intercept
from .recorder import Recorder
from .session_locks import SessionLocks
from .disconnect import ClientLeft, unless_client_leaves
from .streaming import Relay, RelayResponse, SideParser
from .upstream import Upstream, request_headers, response_headers

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
BIG_BODY = 1_000_000    # bytes: bodies this large are parsed, pre-counted and spliced in a worker thread
MAX_MEMOS = 16          # sessions whose last spliced messages are kept (see core/wire/splice.Memo)
_error = UpstreamFailed


def _splice_or_dump(raw: bytes, body: Any, new: Any) -> bytes:
    """A body that must differ from the client's (a continuation): spliced when possible, else serialized."""
    try:
        return splice(raw, body, new)
    except Exception:  # noqa: BLE001
        return orjson.dumps(new)


def join_chunks(chunks: list[bytes]) -> bytes:
    return b"".join(chunks)


async def read_body(request: Request) -> bytes:
    """The request body, like Starlette's `request.body()`, but a big one is joined in a worker thread: joining
    58 MB of chunks takes ~45 ms, and bytes.join drops the GIL for big copies, so the loop runs meanwhile."""
    if hasattr(request, "_body"):
        return request._body
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
    raw = await asyncio.to_thread(join_chunks, chunks) if size >= BIG_BODY else b"".join(chunks)
    request._body = raw            # Starlette's own cache: a later request.body() returns it
    return raw


def upstream_path(request: Request) -> str:
    """The path exactly as the client encoded it (`/x%00y` stays `/x%00y`), not the decoded form."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


class Proxy:
    """Request handling around one Engine and one Upstream; `app` is the ASGI application."""

    def __init__(self, engine: Any, upstream: Upstream, recorder: Recorder | None = None,
                 clock: Callable[[], float] = time.time, intercept: Intercept | None = None,
                 guard: ControlGuard | None = None,
                 problem_listeners: list[Callable[[dict], None]] | None = None) -> None:
        self.engine = engine
        self.guard = guard if guard is not None else ControlGuard(new_token())   # unbound: refuses every Host
        # told of every upstream failure (connect error, timeout, 4xx/5xx, error event), session or not: the TUI
        # toasts them and `serve` logs them, so a dead upstream never looks like an idle agent
        self.problem_listeners = problem_listeners if problem_listeners is not None else []
        self.intercept = intercept if intercept is not None else Intercept()
        self.upstream = upstream
        self.recorder = recorder
        self.clock = clock
        self.closing = asyncio.Event()
        self.subscribers: set = set()     # /_pichay/events streams, woken on shutdown
        self._memos: OrderedDict[str, Memo] = OrderedDict()   # per session, most recent last (bounded)
        self._parses = ParseCache()    # the last few bodies: a resent history is not parsed again (incremental.py)
        self.locks = SessionLocks(lambda body, headers: self.engine.find_session(body, headers))
        self._session_locks = self.locks.entries     # session id -> [asyncio.Lock, requests using it]
        self.log = ExchangeLog(self)
        self._unsub_intercept = self.intercept.subscribe(self._intercept_event)
        self.app = Starlette(routes=[
            *control_routes(self),
            Route("/v1/messages", self.messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", self.count_tokens, methods=["POST"]),
            Route("/{path:path}", self.forward, methods=ALL_METHODS),
        ], exception_handlers={HTTPException: http_exception, Exception: unexpected})

    def shutdown(self) -> None:
        """End the long-lived event streams so the server can stop promptly."""
        self.closing.set()
        self.intercept.release_all("shutdown")
        self._unsub_intercept()
        for sub in list(self.subscribers):
            sub.wakeup.set()

    def _intercept_event(self, kind: str, data: dict) -> None:
        """Intercept changes go to /_pichay/events subscribers only (new kinds; the core's events are untouched)."""
        session = data.get("session", "")
        event = Event(kind=kind, session="" if session == NEW_SESSION else session, turn=0, ts=self.clock(),
                      data=data)
        for sub in list(self.subscribers):
            sub.push(event)

    # ---- helpers ----
    async def _send(self, request: Request, content: bytes | None, identity: bool):
        """Start the upstream request, racing the client: returns the response, or an error Response."""
        headers = request_headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
                                  identity=identity)
        if not content and request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
            content = None               # no body: do not invent a content-length
        try:
            req = self.upstream.build(request.method, upstream_path(request), request.url.query, headers, content)
        except (httpx.InvalidURL, ValueError, TypeError) as e:
            return _error(400, f"cannot forward this request: {e}", "invalid_request_error")
        try:   # the client leaving cancels the upstream request
            return await unless_client_leaves(request.receive, self.upstream.send_request(req), request.scope,
                                              keep=True)    # the RelayResponse returned next keeps watching
        except ClientLeft:
            return _error(499, "client disconnected", "api_error")
        except httpx.TimeoutException as e:
            return _error(504, f"upstream timed out: {type(e).__name__}", "timeout_error")
        except (httpx.HTTPError, OSError) as e:
            return _error(502, f"upstream unreachable: {type(e).__name__}: {e}", "api_error")

    @staticmethod
    def _relay(resp: httpx.Response, parser: SideParser | None, on_done) -> RelayResponse:
        sse = resp.headers.get("content-type", "").startswith("text/event-stream")
        headers = response_headers(resp.headers.multi_items(), keep_length=not sse)
        return RelayResponse(Relay(resp, parser, on_done), resp.status_code, headers)

    def _headers(self, request: Request) -> dict[str, str]:
        return {k: v for k, v in request.headers.items()}

    # ---- routes ----
    async def messages(self, request: Request) -> Response | RelayResponse:
        if self.guard.from_web_page(request.headers):   # forwarded untouched, never paged: no web page can add
            return await self.forward(request)         # sessions or steer the pager (docs/security.md)
        raw = await read_body(request)
        now, t0 = self.clock(), time.perf_counter()
        headers = self._headers(request)
        xid = self.recorder.next_id() if self.recorder else 0
        big = len(raw) >= BIG_BODY
        try:
            body = await asyncio.to_thread(loads_in_pieces, raw) if big else self._parses.loads(raw)
        except orjson.JSONDecodeError as e:
            self.log.request(xid, now, request.url.path, headers, None, None, failure=f"invalid JSON: {e}")
            return _error(400, f"request body is not valid JSON: {e}", "invalid_request_error")
        if self.intercept.enabled and isinstance(body, dict) and isinstance(body.get("messages"), list):
            held = await self._hold(request, body, headers)
            if held == "disconnected":     # the client went away while held: nothing goes upstream
                self.log.request(xid, now, request.url.path, headers, None, None,
                                     failure="client disconnected while held by intercept")
                return _error(499, "client disconnected", "api_error")
            now, t0 = self.clock(), time.perf_counter()
        key = await self.locks.lock(body, headers, big)
        try:
            result, failure = None, None
            if isinstance(body, dict) and isinstance(body.get("messages"), list):
                try:
                    facts = await self._precompute(body, headers) if big else None
                    with using(facts):
                        result = self.engine.handle_request(body, headers, request.url.path, now=now)
                except Exception as e:  # noqa: BLE001 - fail open: the client's own bytes go upstream
                    failure = f"{type(e).__name__}: {e}"
                    self.log.failed("request", failure)
            sid = result.session_id if result else ""
            if sid:    # in flight from here: never spilled until log.done (every path below ends in it, or leaves)
                self.engine.sessions.enter(sid)
            try:
                content, changed, failure = await self._outbound(raw, body, result, failure, big)
            except BaseException:
                if sid:
                    self.engine.sessions.leave(sid)
                raise
        finally:
            if key:
                self.locks.unlock(key)
        finished = False

        def finish(summary: ResponseSummary) -> None:
            nonlocal finished
            finished = True
            self.log.done(xid, sid, t0, summary)

        try:
            return await self._forward_paged(request, raw, body, result, failure, xid, now, headers, big, finish,
                                             content, changed)
        except BaseException:
            if sid and not finished:
                self.engine.sessions.leave(sid)
            raise

    async def _outbound(self, raw: bytes, body: Any, result: Any, failure: str | None,
                        big: bool) -> tuple[bytes, bool, str | None]:
        """The bytes to send: the outbound spliced into the client's bytes, or the client's own (fail open)."""
        changed = result is not None and result.changed
        content = raw
        if changed:
            args = (raw, body, result.outbound, result.session_id)
            content, why = await asyncio.to_thread(self._encode, *args) if big else self._encode(*args)
            if why:
                changed, failure = False, why
                self.log.failed("request", why, result.session_id)
        return content, changed, failure

    async def _forward_paged(self, request: Request, raw: bytes, body: Any, result: Any, failure: str | None,
                             xid: int, now: float, headers: dict[str, str], big: bool,
                             finish: Callable[[ResponseSummary], None], content: bytes,
                             changed: bool) -> Response | RelayResponse:
        """Send what the engine decided (or the client's bytes, failing open) and relay the answer; `finish` is
        called exactly once when the exchange ends, whichever way."""
        sid = result.session_id if result else ""
        self.log.request(xid, now, request.url.path, headers, body, result.outbound if result else body,
                             session=sid, request_no=result.request_no if result else 0,
                             side=bool(result and result.side), engine=result is not None or failure is not None,
                             sent="outbound" if changed else "original", failure=failure, heavy=big)
        resp = await self._send(request, content, identity=True)
        if isinstance(resp, UpstreamFailed):
            finish(ResponseSummary(status=resp.status_code, error=resp.message))
            return resp
        on_done = finish
        if changed and sid and resp.status_code == 200 and self._offers_phantom(result.outbound):
            encode = lambda b: _splice_or_dump(raw, body, b)  # noqa: E731 - continuations keep the client's bytes
            return self._cooperative(request, resp, result.outbound, sid, on_done, encode)
        parser = SideParser(resp.headers.get("content-type", ""), resp.headers.get("content-encoding", ""))
        return self._relay(resp, parser, on_done)

    def _offers_phantom(self, outbound: dict) -> bool:
        """Cooperative mode, or memory_fault offered because a handle is in the context (see core/cooperative/service.py)."""
        if getattr(self.engine.config, "cooperative", False):
            return True
        tools = outbound.get("tools") or []
        return any(d in tools for d in PHANTOM_TOOL_DEFS)

    async def _precompute(self, body: dict, headers: dict[str, str]) -> dict | None:
        """Hash and token-count the big blocks the session has not seen yet, in a worker thread (see
        core/ingest/precompute.py), so the engine step that follows does not hold the event loop for seconds."""
        try:
            s = self.engine.find_session(body, headers)
        except Exception:  # noqa: BLE001 - a guess only: without it everything is precomputed
            s = None
        start = s.index.message_count if s is not None else 0
        return await asyncio.to_thread(precompute, body, self.engine.counter, start)

    def _memo(self, sid: str) -> Memo | None:
        if not sid:
            return None
        memo = self._memos.pop(sid, None) or Memo()
        self._memos[sid] = memo
        while len(self._memos) > MAX_MEMOS:
            self._memos.popitem(last=False)
        return memo

    def _encode(self, raw: bytes, body: Any, outbound: Any, sid: str = "") -> tuple[bytes, str | None]:
        """The outbound bytes spliced into the client's (only what the pager changed is re-serialized); on any
        failure the client's own bytes and the reason (fail open)."""
        try:
            return splice(raw, body, outbound, self._memo(sid)), None
        except Exception as e:  # noqa: BLE001 - SpliceError, an unserializable value, a bug: forward unchanged
            return raw, f"outbound not built, original bytes sent: {type(e).__name__}: {e}"

    async def _hold(self, request: Request, body: dict, headers: dict[str, str]) -> str:
        """Park the parsed request in the intercept queue until the operator (or the timeout) lets it go."""
        try:
            s = self.engine.find_session(body, headers)
        except Exception:  # noqa: BLE001 - a guess only
            s = None
        return await self.intercept.hold(request.receive, s.id if s is not None else NEW_SESSION,
                                         request.url.path, len(body["messages"]))

    def _cooperative(self, request: Request, resp: httpx.Response, outbound: dict, sid: str, on_done,
                     encode: Callable[[dict], bytes] | None = None) -> RelayResponse:
        """Phantom calls and cleanup tags are cut out of the response, so its bytes (and length) change."""
        headers = request_headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
                                  identity=True)
        relay = CooperativeRelay(resp, self.engine, sid, outbound, self.upstream, request.url.path,
                                 request.url.query, headers, on_done, self.recorder, self.clock, encode=encode)
        out_headers = [(k, v) for k, v in response_headers(resp.headers.multi_items())
                       if k.lower() != "content-encoding"]
        return RelayResponse(relay, resp.status_code, out_headers)

    async def count_tokens(self, request: Request) -> Response | RelayResponse:
        if self.guard.from_web_page(request.headers):
            return await self.forward(request)
        raw = await read_body(request)
        headers = self._headers(request)
        big = len(raw) >= BIG_BODY
        try:
            body = await asyncio.to_thread(loads_in_pieces, raw) if big else loads(raw)
        except orjson.JSONDecodeError as e:
            return _error(400, f"request body is not valid JSON: {e}", "invalid_request_error")
        content = raw
        if isinstance(body, dict) and isinstance(body.get("messages"), list):
            try:
                view = self.engine.preview(body, headers)
                if view is not body:
                    content, why = (await asyncio.to_thread(self._encode, raw, body, view) if big
                                    else self._encode(raw, body, view))
                    if why:
                        self.log.failed("count_tokens", why)
            except Exception as e:  # noqa: BLE001
                self.log.failed("count_tokens", f"{type(e).__name__}: {e}")
        resp = await self._send(request, content, identity=False)
        if isinstance(resp, UpstreamFailed):
            self.log.upstream_problem("", resp.status_code, resp.message, request.url.path)
        return resp if isinstance(resp, Response) else self._relay(resp, None, None)

    async def forward(self, request: Request) -> Response | RelayResponse:
        if request.url.path.startswith("/_pichay/"):
            return Response(orjson.dumps({"ok": False, "error": f"no control endpoint {request.url.path}"}), 404,
                            media_type="application/json")
        resp = await self._send(request, await read_body(request), identity=False)
        if isinstance(resp, UpstreamFailed):
            self.log.upstream_problem("", resp.status_code, resp.message, request.url.path)
        return resp if isinstance(resp, Response) else self._relay(resp, None, None)
