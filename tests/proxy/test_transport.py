"""Catch-all forwarding, hop-by-hop headers, compressed upstream responses, the in-loop server lifecycle."""
from __future__ import annotations

import asyncio
import gzip

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pichay_tui.proxy.server import ProxyServer, is_loopback
from pichay_tui.proxy.upstream import request_headers, response_headers
from pichay_tui.sim.upstream import run_upstream
from proxy_helpers import CaptureRaw, get_json

MESSAGE = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "stop_reason": "end_turn",
           "stop_sequence": None, "content": [{"type": "text", "text": "zipped"}],
           "usage": {"input_tokens": 11, "output_tokens": 2}}


def gzip_app() -> Starlette:
    """An upstream that gzips everything, even when asked for identity (to prove we cope)."""
    async def messages(request: Request) -> Response:
        return Response(gzip.compress(orjson.dumps(MESSAGE)), headers={"content-encoding": "gzip",
                                                                       "x-upstream": "yes", "keep-alive": "t=5"},
                        media_type="application/json")

    async def models(request: Request) -> Response:
        return Response(gzip.compress(b'{"data": []}' * 100), headers={"content-encoding": "gzip"},
                        media_type="application/json")

    return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"]),
                             Route("/v1/models", models, methods=["GET"])])


async def test_catch_all_forwards_other_methods_and_paths(proxy, upstream):
    async with httpx.AsyncClient() as c:
        head = await c.head(f"{proxy.url}/")
        assert head.status_code == 200
        models = await c.get(f"{proxy.url}/v1/models?limit=5", headers={"x-api-key": "k"})
        assert models.json()["data"][0]["id"] == "claude-sim-1"
        missing = await c.delete(f"{proxy.url}/v1/files/abc")
        assert missing.status_code == 404 or missing.status_code == 405
    seen = [(s.method, s.path, s.query) for s in upstream.capture.seen]
    assert ("HEAD", "/", "") in seen and ("GET", "/v1/models", "limit=5") in seen
    get = next(s for s in upstream.capture.seen if s.path == "/v1/models")
    assert get.headers["x-api-key"] == "k" and "content-length" not in get.headers


async def test_compressed_upstream_responses(make_proxy):
    cap = CaptureRaw(gzip_app())
    async with run_upstream(cap) as url:
        proxy = await make_proxy(url=url)
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{proxy.url}/v1/messages", json={"messages": [{"role": "user", "content": "x"}],
                                                               "tools": [{"name": "Read"}]},
                             headers={"accept-encoding": "gzip"})
            # page mode rewrites responses (phantom calls, cleanup tags), so it decodes them and says so
            assert r.json() == MESSAGE and "content-encoding" not in r.headers
            assert r.headers["x-upstream"] == "yes" and "keep-alive" not in r.headers
            assert cap.seen[-1].headers["accept-encoding"] == "identity"
            m = await c.get(f"{proxy.url}/v1/models", headers={"accept-encoding": "gzip"})
            assert m.content == b'{"data": []}' * 100
            assert cap.seen[-1].headers["accept-encoding"] == "gzip"       # passthrough keeps the client's choice
        state = await get_json(f"{proxy.url}/_pichay/state")
        assert state["sessions"][0]["last_usage"] == {"input_tokens": 11, "output_tokens": 2}   # parsed the gzip


def test_header_filtering():
    out = request_headers([("Host", "proxy"), ("Content-Length", "5"), ("Connection", "keep-alive, X-Foo"),
                           ("X-Foo", "1"), ("TE", "trailers"), ("x-api-key", "k"), ("Authorization", "Bearer t"),
                           ("anthropic-beta", "b"), ("Accept-Encoding", "br")], identity=True)
    assert out == [("x-api-key", "k"), ("Authorization", "Bearer t"), ("anthropic-beta", "b"),
                   ("accept-encoding", "identity")]
    back = response_headers([("Transfer-Encoding", "chunked"), ("Content-Length", "9"), ("request-id", "r"),
                             ("Content-Encoding", "gzip")], keep_length=True)
    assert back == [("Content-Length", "9"), ("request-id", "r"), ("Content-Encoding", "gzip")]
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


async def test_server_runs_in_the_callers_loop_and_restarts(upstream):
    server = ProxyServer(upstream=upstream.url, port=0)
    assert server.warning is None
    url = await server.start()
    assert url.startswith("http://127.0.0.1:") and server.url == url
    assert (await get_json(f"{url}/_pichay/state"))["sessions"] == []
    await server.stop()
    await server.stop()
    async with ProxyServer(upstream=upstream.url, port=0, host="0.0.0.0") as other:
        assert other.url.startswith("http://0.0.0.0:") and "not loopback" in other.warning


async def test_sse_is_forwarded_as_it_arrives(proxy, upstream):
    upstream.sim.chunk_delay = 0.15
    body = {"model": "m", "max_tokens": 50, "stream": True, "tools": [{"name": "Read", "input_schema": {}}],
            "messages": [{"role": "user", "content": "[sim-script:coding] go"}]}
    arrivals = []
    async with httpx.AsyncClient() as c:
        t0 = asyncio.get_running_loop().time()
        async with c.stream("POST", f"{proxy.url}/v1/messages", json=body) as r:
            async for chunk in r.aiter_raw():
                arrivals.append((asyncio.get_running_loop().time() - t0, chunk))
    events = b"".join(c for _, c in arrivals).count(b"\n\nevent:") + 1
    # not coalesced: one write per upstream chunk, except the message end the cooperative relay holds back
    # (message_delta and message_stop, released together once the turn is known to be the client's)
    assert events >= 6 and len(arrivals) >= events - 2
    assert arrivals[0][0] < arrivals[-1][0] - 0.15 * (events - 3)   # the first event came long before the last


async def test_stop_ends_open_event_streams(upstream):
    server = ProxyServer(upstream=upstream.url, port=0)
    url = await server.start()
    got = asyncio.Event()

    async def listen():
        async with httpx.AsyncClient(timeout=None) as c:
            async with c.stream("GET", f"{url}/_pichay/events") as r:
                async for _ in r.aiter_lines():
                    got.set()

    reader = asyncio.ensure_future(listen())
    await asyncio.wait_for(got.wait(), 5)
    t0 = asyncio.get_running_loop().time()
    await server.stop()
    assert asyncio.get_running_loop().time() - t0 < 2
    await asyncio.wait_for(reader, 5)


async def test_upstream_gets_the_clients_headers_and_nothing_of_the_pools(proxy, upstream):
    """A client that sends no User-Agent or Accept gets none added on its way upstream (httpx's client defaults
    would add both); Connection is hop-by-hop: ours, keep-alive."""
    body = orjson.dumps({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    async with httpx.AsyncClient() as c:
        for path in ("/v1/messages", "/v1/models"):       # paged, and passed through
            req = httpx.Request("POST" if path == "/v1/messages" else "GET", f"{proxy.url}{path}",
                                headers={"x-api-key": "k", "content-type": "application/json"},
                                content=body if path == "/v1/messages" else None)
            assert "user-agent" not in req.headers and "accept" not in req.headers
            r = await c.send(req)
            assert r.status_code == 200
            seen = upstream.capture.seen[-1]
            assert seen.path == path
            names = set(seen.headers)
            assert {"user-agent", "accept"}.isdisjoint(names), names
            assert seen.headers["x-api-key"] == "k" and seen.headers["connection"] == "keep-alive"
            expected = {"host", "connection", "x-api-key", "content-type"} | (
                {"content-length", "accept-encoding"} if path == "/v1/messages" else set())
            assert names == expected, names
