"""Two requests of one session never interleave their engine steps: while a big request of a session awaits its
worker threads (precompute, splice), another request of that session waits; other sessions do not."""
from __future__ import annotations

import asyncio
import threading

import httpx
import orjson

from pichay_tui.proxy import app as app_module
from pichay_tui.sim.tool_defs import TOOLS

HEADERS = {"x-api-key": "dummy", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def body(session: str, *later: str) -> bytes:
    msgs = [{"role": "user", "content": f"[sim-script:coding] start {session}"}]
    for text in later:
        msgs += [{"role": "assistant", "content": [{"type": "text", "text": "ok"}]}, {"role": "user", "content": text}]
    return orjson.dumps({"model": "m", "max_tokens": 50, "tools": TOOLS, "messages": msgs})


async def test_a_sessions_second_request_waits_for_the_big_ones_engine_step(proxy, monkeypatch):
    entered, gate = threading.Event(), threading.Event()
    real = app_module.precompute

    def held(*a, **kw):                    # the big request's worker thread waits here
        entered.set()
        assert gate.wait(60), "test gate never opened"
        return real(*a, **kw)

    steps: list[int] = []
    real_step = proxy.engine.handle_request

    def step(b, *a, **kw):
        steps.append(len(b["messages"]))
        return real_step(b, *a, **kw)

    monkeypatch.setattr(app_module, "precompute", held)
    monkeypatch.setattr(proxy.engine, "handle_request", step)
    post = lambda c, sid, raw: c.post(f"{proxy.url}/v1/messages", content=raw,  # noqa: E731
                                      headers={**HEADERS, "x-claude-code-session-id": sid})
    async with httpx.AsyncClient(timeout=60) as c:
        assert (await post(c, "A", body("A"))).status_code == 200          # session A exists
        try:
            big = asyncio.ensure_future(post(c, "A", body("A", "x" * (app_module.BIG_BODY + 10))))
            assert await asyncio.to_thread(entered.wait, 30)
            second = asyncio.ensure_future(post(c, "A", body("A", "small", "more")))
            other = await post(c, "B", body("B"))                           # another session: not held
            assert other.status_code == 200
            locks = proxy.proxy._session_locks
            for _ in range(600):                                          # bounded: until A's second request queues
                if any(users == 2 for _, users in locks.values()) or second.done():
                    break
                await asyncio.sleep(0.01)
            assert [users for _, users in locks.values()] == [2]           # the big one holds, the second waits
            assert not second.done() and not big.done()
            assert steps == [1, 1]                                        # A's first, B's; not A's second yet
        finally:
            gate.set()
        assert (await big).status_code == 200 and (await second).status_code == 200
    assert steps == [1, 1, 3, 5]                                          # A's big step ran before its second
    assert proxy.proxy._session_locks == {}                               # nothing left behind
