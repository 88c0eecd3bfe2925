"""One request upstream and its answer back: the client's path byte-exact, the client leaving cancels the upstream
request, a transport failure becomes an Anthropic-shaped error, and the answer is relayed (cut, when cooperative)."""
from __future__ import annotations

import asyncio
from typing import Any, Callable

import httpx
from starlette.requests import Request

from ..core.cooperative.phantom import injected
from .cooperative import CooperativeRelay
from .disconnect import ClientLeft, unless_client_leaves
from .encoding import splice_or_dump
from .errors_http import UpstreamFailed
from .streaming import Relay, RelayResponse, SideParser
from .upstream import Upstream, request_headers, response_headers


def upstream_path(request: Request) -> str:
    """The path exactly as the client encoded it (`/x%00y` stays `/x%00y`), not the decoded form."""
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


def client_headers(request: Request, identity: bool) -> dict[str, str]:
    """The client's headers as they go upstream (`identity`: ask for an unencoded answer we can read)."""
    return request_headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
                           identity=identity)


async def send_upstream(upstream: Upstream, request: Request, content: bytes | None, identity: bool,
                        written: asyncio.Event | None = None) -> httpx.Response | UpstreamFailed:
    """Start the upstream request, racing the client: returns the response, or an error Response (`written` is
    set once the request's bytes are out)."""
    headers = client_headers(request, identity)
    if not content and request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        content = None               # no body: do not invent a content-length
    try:
        req = upstream.build(request.method, upstream_path(request), request.url.query, headers, content)
    except (httpx.InvalidURL, ValueError, TypeError) as e:
        return UpstreamFailed(400, f"cannot forward this request: {e}", "invalid_request_error")
    if written is not None:
        async def trace(name: str, info: dict) -> None:
            if name == "http11.send_request_body.complete":
                written.set()
        req.extensions["trace"] = trace
    try:   # the client leaving cancels the upstream request
        return await unless_client_leaves(request.receive, upstream.send_request(req), request.scope,
                                          keep=True)    # the RelayResponse returned next keeps watching
    except ClientLeft:
        return UpstreamFailed(499, "client disconnected", "api_error")
    except httpx.TimeoutException as e:
        return UpstreamFailed(504, f"upstream timed out: {type(e).__name__}", "timeout_error")
    except (httpx.HTTPError, OSError) as e:
        return UpstreamFailed(502, f"upstream unreachable: {type(e).__name__}: {e}", "api_error")


async def send_first(upstream: Upstream, request: Request, raw: bytes) -> asyncio.Future:
    """The client's own bytes sent upstream before the engine looks at them (observe mode never changes them, so
    nothing of ours should delay them): returns the send, running, once its bytes are written (or it ended)."""
    written = asyncio.Event()
    task = asyncio.ensure_future(send_upstream(upstream, request, raw, True, written))
    task.add_done_callback(lambda _: written.set())
    await written.wait()
    return task


def abandon(early: asyncio.Future) -> None:
    """A send started by send_first that nobody will relay: cancelled, or its response closed (closing twice is
    harmless, if a relay had taken it already)."""
    if not early.done():
        early.cancel()
    elif not early.cancelled() and early.exception() is None and isinstance(early.result(), httpx.Response):
        asyncio.ensure_future(early.result().aclose())


async def hand_over(resp: httpx.Response, build: Callable[[], RelayResponse]) -> RelayResponse:
    """`build()` makes the relay that will own `resp` (and close it); if anything raises first, `resp` is closed
    here, so a bug on the way never leaks the upstream connection. The caller finishes the exchange."""
    try:
        return build()
    except BaseException:
        try:
            await resp.aclose()       # unfinished: httpx drops the connection, the upstream sees it go
        except Exception:  # noqa: BLE001 - the original error is the one to report
            pass
        raise


def relay_response(resp: httpx.Response, parser: SideParser | None, on_done) -> RelayResponse:
    """The upstream answer streamed to the client as it comes (a parser on the side, for the engine)."""
    sse = resp.headers.get("content-type", "").startswith("text/event-stream")
    headers = response_headers(resp.headers.multi_items(), keep_length=not sse)
    return RelayResponse(Relay(resp, parser, on_done), resp.status_code, headers)


def offers_phantom(engine: Any, outbound: dict) -> bool:
    """Cooperative mode, or memory_fault offered because a handle is in the context (core/cooperative/service.py)."""
    if getattr(engine.config, "cooperative", False):
        return True
    return bool(injected(outbound.get("tools")))


def cooperative_response(proxy: Any, request: Request, resp: httpx.Response, outbound: dict, sid: str, on_done,
                         encode: Callable[[dict], bytes] | None = None) -> RelayResponse:
    """Phantom calls and cleanup tags are cut out of the response, so its bytes (and length) change."""
    relay = CooperativeRelay(resp, proxy.engine, sid, outbound, proxy.upstream, request.url.path,
                             request.url.query, client_headers(request, True), on_done, proxy.recorder, proxy.clock,
                             encode=encode)
    out_headers = [(k, v) for k, v in response_headers(resp.headers.multi_items())
                   if k.lower() != "content-encoding"]
    return RelayResponse(relay, resp.status_code, out_headers)


def paged_relay(proxy: Any, request: Request, resp: httpx.Response, raw: bytes, body: Any, result: Any,
                changed: bool, on_done) -> RelayResponse:
    """The relay that owns a paged request's upstream response: cooperative when phantom tools were offered."""
    sid = result.session_id if result else ""
    if changed and sid and resp.status_code == 200 and offers_phantom(proxy.engine, result.outbound):
        encode = lambda b: splice_or_dump(raw, body, b)  # noqa: E731 - continuations keep the client's bytes
        return cooperative_response(proxy, request, resp, result.outbound, sid, on_done, encode)
    parser = SideParser(resp.headers.get("content-type", ""), resp.headers.get("content-encoding", ""))
    return relay_response(resp, parser, on_done)
