"""The proxy's routes: /v1/messages through the pager, count_tokens on the paged view, everything else unchanged."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.events import Event
from ..core.model.exchange import ResponseSummary
from ..core.ingest.precompute import precompute, using
from ..core.wire.incremental import ParseCache
from ..core.wire.parse import loads, loads_in_pieces
from .control import control_routes
from .encoding import OutboundEncoder
from .errors_http import UpstreamFailed, http_exception, unexpected
from .exchange_log import ExchangeLog
from .guard import ControlGuard, new_token
from .intercept import NEW_SESSION, Intercept
from .recorder import Recorder
from .session_locks import SessionLocks
from .sending import abandon, hand_over, paged_relay, relay_response, send_first, send_upstream
from .streaming import RelayResponse
from .body import BIG_BODY, read_body
from .upstream import Upstream
from .warm import before_request

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_error = UpstreamFailed


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
        self.encoder = OutboundEncoder()
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

    # ---- routes ----
    async def messages(self, request: Request) -> Response | RelayResponse:
        if self.guard.from_web_page(request.headers):   # forwarded untouched, never paged: no web page can add
            return await self.forward(request)         # sessions or steer the pager (docs/security.md)
        raw = await read_body(request)
        now, t0 = self.clock(), time.perf_counter()
        headers = dict(request.headers.items())
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
        early = None if big or self.intercept.enabled or self.engine.config.mode != "observe" else \
            await send_first(self.upstream, request, raw)      # the engine's step overlaps the upstream's work
        try:
            return await self._step(request, raw, body, big, headers, xid, now, t0, early)
        except BaseException:
            if early is not None:
                abandon(early)          # a bug before the relay owned its response: closed, never leaked
            raise

    async def _step(self, request: Request, raw: bytes, body: Any, big: bool, headers: dict[str, str], xid: int,
                    now: float, t0: float, early: asyncio.Future | None) -> Response | RelayResponse:
        """The engine's step, then the request upstream (or `early`, already sent) and its answer relayed."""
        heavy = await before_request(self.engine, body, headers, BIG_BODY) or big   # stored blocks read ahead
        key = await self.locks.lock(body, headers, heavy)
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
                content, changed, failure = await self._outbound(raw, body, result, failure, heavy)
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
            return await self._forward_paged(request, raw, body, result, failure, xid, now, headers, heavy, finish,
                                             content, changed, early)
        except BaseException as e:   # a bug of ours (answered as Anthropic-shaped JSON by `unexpected`), or cancelled
            if not finished:
                finish(ResponseSummary(status=500, error=f"pichay-tui internal error: {type(e).__name__}: {e}"))
            raise

    async def _outbound(self, raw: bytes, body: Any, result: Any, failure: str | None,
                        big: bool) -> tuple[bytes, bool, str | None]:
        """The bytes to send: the outbound spliced into the client's bytes, or the client's own (fail open)."""
        changed = result is not None and result.changed
        content = raw
        if changed:
            layout = None if big else self._parses.layout(raw)    # what the parse found (None if replaced since)
            args = (raw, body, result.outbound, result.session_id, layout)
            content, why = await asyncio.to_thread(self.encoder.encode, *args) if big else self.encoder.encode(*args)
            if why:
                changed, failure = False, why
                self.log.failed("request", why, result.session_id)
        return content, changed, failure

    async def _forward_paged(self, request: Request, raw: bytes, body: Any, result: Any, failure: str | None,
                             xid: int, now: float, headers: dict[str, str], big: bool,
                             finish: Callable[[ResponseSummary], None], content: bytes,
                             changed: bool, early: asyncio.Future | None = None) -> Response | RelayResponse:
        """Send what the engine decided (or the client's bytes, failing open) and relay the answer; `finish` is
        called exactly once when the exchange ends, whichever way."""
        sid = result.session_id if result else ""
        self.log.request(xid, now, request.url.path, headers, body, result.outbound if result else body,
                             session=sid, request_no=result.request_no if result else 0,
                             side=bool(result and result.side), engine=result is not None or failure is not None,
                             sent="outbound" if changed else "original", failure=failure, heavy=big)
        resp = await (early or send_upstream(self.upstream, request, content, identity=True))
        if isinstance(resp, UpstreamFailed):
            finish(ResponseSummary(status=resp.status_code, error=resp.message))
            return resp
        return await hand_over(resp, lambda: paged_relay(self, request, resp, raw, body, result, changed, finish))

    async def _precompute(self, body: dict, headers: dict[str, str]) -> dict | None:
        """Hash and token-count the big blocks the session has not seen yet, in a worker thread (see
        core/ingest/precompute.py), so the engine step that follows does not hold the event loop for seconds."""
        try:
            s = self.engine.find_session(body, headers)
        except Exception:  # noqa: BLE001 - a guess only: without it everything is precomputed
            s = None
        start = s.index.message_count if s is not None else 0
        prev = list(s.index.msg_fp) if s is not None else None     # a copy: the worker may not read the session
        return await asyncio.to_thread(precompute, body, self.engine.counter, start, prev_fps=prev)

    async def _hold(self, request: Request, body: dict, headers: dict[str, str]) -> str:
        """Park the parsed request in the intercept queue until the operator (or the timeout) lets it go."""
        try:
            s = self.engine.find_session(body, headers)
        except Exception:  # noqa: BLE001 - a guess only
            s = None
        return await self.intercept.hold(request.receive, s.id if s is not None else NEW_SESSION,
                                         request.url.path, len(body["messages"]))

    async def count_tokens(self, request: Request) -> Response | RelayResponse:
        if self.guard.from_web_page(request.headers):
            return await self.forward(request)
        raw = await read_body(request)
        headers = dict(request.headers.items())
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
                    content, why = (await asyncio.to_thread(self.encoder.encode, raw, body, view) if big
                                    else self.encoder.encode(raw, body, view))
                    if why:
                        self.log.failed("count_tokens", why)
            except Exception as e:  # noqa: BLE001
                self.log.failed("count_tokens", f"{type(e).__name__}: {e}")
        resp = await send_upstream(self.upstream, request, content, identity=False)
        if isinstance(resp, UpstreamFailed):
            self.log.upstream_problem("", resp.status_code, resp.message, request.url.path)
        return resp if isinstance(resp, Response) else await hand_over(resp, lambda: relay_response(resp, None, None))

    async def forward(self, request: Request) -> Response | RelayResponse:
        if request.url.path.startswith("/_pichay/"):
            return Response(orjson.dumps({"ok": False, "error": f"no control endpoint {request.url.path}"}), 404,
                            media_type="application/json")
        resp = await send_upstream(self.upstream, request, await read_body(request), identity=False)
        if isinstance(resp, UpstreamFailed):
            self.log.upstream_problem("", resp.status_code, resp.message, request.url.path)
        return resp if isinstance(resp, Response) else await hand_over(resp, lambda: relay_response(resp, None, None))
