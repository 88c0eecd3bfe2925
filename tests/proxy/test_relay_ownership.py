"""An upstream response is closed, and the exchange finished exactly once, whatever fails between the upstream send
returning and the relay owning the response (or inside the relay's own close): the client gets Anthropic-shaped JSON,
the upstream sees its connection go, the session is no longer in flight.

Real parts: the scripted upstream (slow SSE, so a leaked response stays open) and the proxy on uvicorn, over httpx;
one function on the path is monkeypatched to raise.
"""
from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.proxy import sending
from pichay_tui.proxy import exchange_log, streaming
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.tool_defs import TOOLS
from pichay_tui.sim.upstream import create_upstream_app, run_upstream


class Watched:
    """The scripted upstream, noting a request's connection going away before its stream ended (`cut`) or the
    stream ending (`ended`); uvicorn also reports a disconnect after a complete response, which is not a cut."""

    def __init__(self, app) -> None:
        self.app = app
        self.gone = asyncio.Event()        # cut or ended: something to wait for
        self.cut = self.ended = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def rcv():
            m = await receive()
            if m["type"] == "http.disconnect" and not self.ended:
                self.cut += 1
                self.gone.set()
            return m

        async def snd(m):
            try:
                await send(m)
            except OSError:
                self.cut += 1
                self.gone.set()
                raise
            if m["type"] == "http.response.body" and not m.get("more_body"):
                self.ended += 1
                self.gone.set()

        await self.app(scope, rcv, snd)


BODY = orjson.dumps({"model": "m", "max_tokens": 50, "stream": True, "tools": TOOLS,
                     "messages": [{"role": "user", "content": "[sim-script:coding] hello"}]})


async def post(c: httpx.AsyncClient, proxy: ProxyServer) -> httpx.Response:
    """One streamed turn of session S, as a client sends it."""
    return await c.post(f"{proxy.url}/v1/messages", content=BODY,
                        headers={"x-claude-code-session-id": "S", "content-type": "application/json"})


def record_done(monkeypatch, keep=lambda summary: summary.status) -> list:
    """What ExchangeLog.done was called with (`keep` of each summary), the call still made."""
    done: list = []
    real_done = exchange_log.ExchangeLog.done
    monkeypatch.setattr(exchange_log.ExchangeLog, "done",
                        lambda self, xid, sid, t0, summary: (done.append(keep(summary)),
                                                             real_done(self, xid, sid, t0, summary)))
    return done


def boom(*a, **k):
    raise RuntimeError("injected failure")


def active_connections(proxy: ProxyServer) -> int:
    pool = proxy._upstream.client._transport._pool
    return sum(1 for c in pool.connections if not c.is_idle() and not c.is_closed())


# (function replaced by `boom`, the options that route the request through it)
CASES = {
    "plain relay: SideParser": (sending, "SideParser", {"cooperative": False}),
    "plain relay: relay_response": (sending, "relay_response", {"cooperative": False}),
    "cooperative relay: cooperative_response": (sending, "cooperative_response", {}),
    "before the relay: offers_phantom": (sending, "offers_phantom", {}),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_failure_before_the_relay_owns_the_response_closes_it_and_finishes(case, monkeypatch):
    where, name, opts = CASES[case]
    up = Watched(create_upstream_app(chunk_delay=0.4))
    async with run_upstream(up) as url:
        proxy = ProxyServer(ProxyOptions(port=0, upstream=url, mode="page", **opts))
        await proxy.start()
        done = record_done(monkeypatch)
        monkeypatch.setattr(where, name, boom)
        try:
            async with httpx.AsyncClient(timeout=30) as c:
                r = await post(c, proxy)
            assert r.status_code == 500 and r.headers["content-type"] == "application/json"
            err = r.json()
            assert err["type"] == "error" and "injected failure" in err["error"]["message"]
            await asyncio.wait_for(up.gone.wait(), 20)
            assert up.cut == 1 and up.ended == 0                 # the upstream saw its connection go, mid-stream
            assert active_connections(proxy) == 0
            assert done == [500]                                 # finished exactly once
            assert proxy.engine.sessions.busy == {}              # no longer in flight
        finally:
            await proxy.stop()


async def test_a_failing_summary_at_the_relays_close_still_finishes(monkeypatch):
    """The relay owns the response; its summary raising at close must neither skip `finish` nor leak."""
    up = Watched(create_upstream_app())
    async with run_upstream(up) as url:
        proxy = ProxyServer(ProxyOptions(port=0, upstream=url, mode="page", cooperative=False))
        await proxy.start()
        done = record_done(monkeypatch, lambda summary: (summary.status, summary.error))
        monkeypatch.setattr(streaming.Relay, "_summary", boom)
        try:
            async with httpx.AsyncClient(timeout=30) as c:
                r = await post(c, proxy)
            assert r.status_code == 200 and b"message_stop" in r.content     # the answer reached the client
            for _ in range(100):
                if done:
                    break
                await asyncio.sleep(0.02)
            assert len(done) == 1 and "injected failure" in (done[0][1] or "")
            assert proxy.engine.sessions.busy == {}
            assert active_connections(proxy) == 0
        finally:
            await proxy.stop()


async def test_observe_mode_sends_first_and_a_failure_after_still_closes_the_upstream(monkeypatch):
    """Observe mode sends the client's bytes before the engine's step (send_first); a bug after that and before the
    send is awaited must still end the upstream request (after it is awaited, hand_over does: the cases above)."""
    from pichay_tui.proxy import app
    from pichay_tui.core.engine.facade import Engine

    up = Watched(create_upstream_app(chunk_delay=0.4))
    seen_at_step: list[int] = []
    async with run_upstream(up) as url:
        proxy = ProxyServer(ProxyOptions(port=0, upstream=url, mode="observe"))
        await proxy.start()
        real_step = Engine.handle_request
        monkeypatch.setattr(Engine, "handle_request", lambda self, body, *a, **k: (
            seen_at_step.append(up.requests), real_step(self, body, *a, **k))[1])
        real_app = up.app
        up.requests = 0

        async def counting(scope, receive, send):
            if scope["type"] == "http" and scope["path"] == "/v1/messages":
                while True:                       # counted once the whole body arrived
                    m = await receive()
                    if not m.get("more_body"):
                        break
                up.requests += 1
                body = m.get("body", b"")

                first = [{"type": "http.request", "body": body, "more_body": False}]

                async def again():          # the body once more for the scripted app, then the real messages
                    return first.pop() if first else await receive()
                return await real_app(scope, again, send)
            return await real_app(scope, receive, send)
        up.app = counting
        try:
            async with httpx.AsyncClient(timeout=30) as c:
                ok = await post(c, proxy)
                assert ok.status_code == 200 and b"message_stop" in ok.content
                assert seen_at_step == [1]       # the upstream had the whole request before the engine's step
                await asyncio.wait_for(up.gone.wait(), 20)
                up.gone.clear()
                ended = up.ended
                monkeypatch.setattr(app, "before_request", boom)
                r = await post(c, proxy)
            assert r.status_code == 500 and r.headers["content-type"] == "application/json"
            assert "injected failure" in r.json()["error"]["message"]
            assert up.ended == ended                          # never answered to the end: cancelled
            for _ in range(100):
                if active_connections(proxy) == 0:
                    break
                await asyncio.sleep(0.02)
            assert active_connections(proxy) == 0
            assert proxy.engine.sessions.busy == {}
        finally:
            await proxy.stop()
