"""A big request body is joined in a worker thread: while that runs the control API answers, and the upstream then
receives the client's bytes exactly — on /v1/messages, count_tokens and a passed-through route."""
from __future__ import annotations

import asyncio
import threading

import httpx
import orjson
import pytest

from pichay_tui.proxy import app as app_module
from pichay_tui.proxy import body as body_module
from pichay_tui.sim.tool_defs import TOOLS

HEADERS = {"x-api-key": "dummy", "anthropic-version": "2023-06-01", "content-type": "application/json"}


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens", "/v1/other"])
async def test_big_body_is_joined_off_the_loop_and_arrives_exactly(proxy, upstream, monkeypatch, path):
    entered, gate = threading.Event(), threading.Event()
    real = body_module.join_chunks

    def held(chunks):            # the worker thread: blocks here, never the loop
        entered.set()
        assert gate.wait(60), "test gate never opened"
        return real(chunks)

    monkeypatch.setattr(body_module, "join_chunks", held)
    text = "[sim-script:coding] " + "é\\\"x" * (app_module.BIG_BODY // 3)
    raw = orjson.dumps({"model": "m", "max_tokens": 5, "tools": TOOLS, "messages": [{"role": "user", "content": text}]})

    async def chunked():            # many chunks, as a real client streams a big body
        for i in range(0, len(raw), 65536):
            yield raw[i:i + 65536]

    async with httpx.AsyncClient(timeout=60) as client:
        try:
            task = asyncio.ensure_future(client.post(f"{proxy.url}{path}", content=chunked(),
                                                     headers={**HEADERS, "x-claude-code-session-id": "big"}))
            assert await asyncio.to_thread(entered.wait, 30)
            state = await client.get(f"{proxy.url}/_pichay/state")
            assert state.status_code == 200
            assert not task.done()
        finally:
            gate.set()
        r = await task
    assert r.status_code in (200, 404)          # the scripted upstream has no /v1/other: its answer is relayed
    seen = [c for c in upstream.capture.seen if c.path == path]
    if path == "/v1/messages":                  # the pager may add its own blocks; the client's text is intact
        assert orjson.dumps(text) in seen[-1].body
    else:
        assert seen and seen[-1].body == raw
