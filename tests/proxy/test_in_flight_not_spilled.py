"""A session with a request in flight is never spilled out of RAM, however many other sessions finish meanwhile; it
becomes spillable again once that request ends — answered, failed upstream, or abandoned by its client."""
from __future__ import annotations

import asyncio

import httpx
import orjson

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.tool_defs import TOOLS
from pichay_tui.sim.upstream import run_upstream


class HoldingUpstream:
    """Requests with `x-hold` wait until `release` is set (`x-fail` ones get a 500); others answer at once."""

    def __init__(self) -> None:
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        names = {k for k, _ in scope["headers"]}
        if b"x-hold" in names:
            self.held.set()
            await self.release.wait()
        status = 500 if b"x-fail" in names else 200
        body = orjson.dumps({"id": "m", "type": "message", "role": "assistant", "content": [], "model": "m",
                             "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}})
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def body(session: str) -> bytes:
    return orjson.dumps({"model": "m", "max_tokens": 5, "tools": TOOLS,
                         "messages": [{"role": "user", "content": f"work of {session}"}]})


async def _post(client: httpx.AsyncClient, url: str, sid: str, **headers: str) -> httpx.Response:
    return await client.post(f"{url}/v1/messages", content=body(sid),
                             headers={"x-claude-code-session-id": sid, **headers})


async def test_a_session_in_flight_is_never_spilled_and_is_released_after():
    up = HoldingUpstream()
    async with run_upstream(up) as url:
        proxy = ProxyServer(ProxyOptions(port=0, upstream=url, mode="page"), resident_sessions=1)
        await proxy.start()
        table = proxy.engine.sessions
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                held = asyncio.ensure_future(_post(client, proxy.url, "A", **{"x-hold": "1"}))
                await asyncio.wait_for(up.held.wait(), 20)
                (a,) = dict(table)                            # A is resident and in flight
                for other in "BCDEF":                          # each answer trims the table to its limit
                    assert (await _post(client, proxy.url, other)).status_code == 200
                    assert a in dict(table) and a not in table.spilled, f"A spilled after {other}'s answer"
                assert table.spills >= 4                       # pressure was real: the others were spilled
                up.release.set()
                assert (await held).status_code == 200
                assert table.busy == {}
                assert (await _post(client, proxy.url, "G")).status_code == 200
                assert a in table.spilled                      # no longer in flight: spillable again
        finally:
            await proxy.stop()


async def test_busy_ends_on_upstream_error_client_abort_and_unreachable_upstream():
    up = HoldingUpstream()
    async with run_upstream(up) as url:
        proxy = ProxyServer(ProxyOptions(port=0, upstream=url, mode="page"), resident_sessions=1)
        await proxy.start()
        table = proxy.engine.sessions
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                assert (await _post(client, proxy.url, "err", **{"x-fail": "1"})).status_code == 500
                assert table.busy == {}
                # the client gives up while the upstream holds its request: 499 on our side, busy released
                task = asyncio.ensure_future(_post(client, proxy.url, "gone", **{"x-hold": "1"}))
                await asyncio.wait_for(up.held.wait(), 20)
                assert list(table.busy.values()) == [1]
                task.cancel()
                for _ in range(400):                           # bounded: the proxy notices the disconnect
                    if not table.busy:
                        break
                    await asyncio.sleep(0.025)
                assert table.busy == {}
                up.release.set()
            # an unreachable upstream (connect error → 502) ends the request too
            await proxy.stop()
            proxy = ProxyServer(ProxyOptions(port=0, upstream="http://127.0.0.1:9", mode="page"),
                                resident_sessions=1)
            await proxy.start()
            async with httpx.AsyncClient(timeout=30) as client:
                assert (await _post(client, proxy.url, "down")).status_code == 502
            assert proxy.engine.sessions.busy == {}
        finally:
            await proxy.stop()
