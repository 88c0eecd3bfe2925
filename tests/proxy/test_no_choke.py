"""One agent's hung upstream requests never block another agent's (a real hanging upstream on loopback)."""
from __future__ import annotations

import asyncio

import httpx
import orjson

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.upstream import run_upstream

HUNG = 70          # more than the old shared pool (64)


class HangingUpstream:
    """Requests with `x-hang` wait until released; others answer at once with a small Messages response."""

    def __init__(self) -> None:
        self.hanging = 0
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        if any(k == b"x-hang" for k, _ in scope["headers"]):
            self.hanging += 1
            if self.hanging >= HUNG:
                self.arrived.set()
            await self.release.wait()
        body = orjson.dumps({"id": "m", "type": "message", "role": "assistant", "content": [], "model": "m",
                             "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}})
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


async def test_hung_requests_of_one_agent_do_not_block_another():
    up = HangingUpstream()
    body = orjson.dumps({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    async with run_upstream(up) as url:
        proxy = ProxyServer(ProxyOptions(port=0, upstream=url, mode="page"))
        await proxy.start()
        try:
            async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=None)) as client:
                hung = [asyncio.ensure_future(client.post(f"{proxy.url}/v1/messages", content=body,
                                                          headers={"x-hang": "1", "x-claude-code-session-id": "A"}))
                        for _ in range(HUNG)]
                await asyncio.wait_for(up.arrived.wait(), 30)        # all 70 are held by the upstream now
                r = await client.post(f"{proxy.url}/v1/messages", content=body,
                                      headers={"x-claude-code-session-id": "B"}, timeout=10)
                assert r.status_code == 200 and r.json()["type"] == "message"
                assert not any(t.done() for t in hung)               # agent A's requests are still hanging
                up.release.set()
                done = await asyncio.wait_for(asyncio.gather(*hung), 30)
                assert all(x.status_code == 200 for x in done)
        finally:
            up.release.set()
            await proxy.stop()
