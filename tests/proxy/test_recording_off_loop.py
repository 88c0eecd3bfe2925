"""--record with a big body: the request record is built and written by the recorder's thread, so the client, other
sessions and the control API are answered meanwhile; the file keeps call order and stop() writes everything."""
from __future__ import annotations

import asyncio
import threading

import httpx
import orjson

from pichay_tui.core import recording as rec
from pichay_tui.proxy import app as app_module
from pichay_tui.sim.tool_defs import TOOLS

HEADERS = {"x-api-key": "dummy", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def body(text: str) -> dict:
    return {"model": "m", "max_tokens": 5, "tools": TOOLS,
            "messages": [{"role": "user", "content": f"[sim-script:coding] {text}"}]}


async def test_big_record_is_written_behind_in_order_and_flushed_at_stop(make_proxy, tmp_path, monkeypatch):
    path = tmp_path / "rec.jsonl"
    gate, entered = threading.Event(), threading.Event()
    real = rec.request_record

    def held(*a, **kw):                          # records built by the recorder's thread wait for the gate
        if threading.current_thread().name == "pichay-recorder":
            entered.set()
            assert gate.wait(60), "test gate never opened"
        return real(*a, **kw)

    monkeypatch.setattr(rec, "request_record", held)
    proxy = await make_proxy(record=str(path))
    big_text = "big " * (app_module.BIG_BODY // 3)
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            r = await client.post(f"{proxy.url}/v1/messages", content=orjson.dumps(body(big_text)),
                                  headers={**HEADERS, "x-claude-code-session-id": "big"})
            assert r.status_code == 200                  # answered while its record is still held
            assert await asyncio.to_thread(entered.wait, 30)
            small = await client.post(f"{proxy.url}/v1/messages", content=orjson.dumps(body("small one")),
                                      headers={**HEADERS, "x-claude-code-session-id": "small"})
            assert small.status_code == 200
            assert (await client.get(f"{proxy.url}/_pichay/state")).status_code == 200
            assert path.read_bytes().count(b"\n") == 1   # only the header: the rest queues behind the big record
    finally:
        gate.set()
        await proxy.stop()                               # writes everything queued
    steps = [s for s in rec.read_recording(path) if isinstance(s, rec.RecordedRequest)]
    assert len(steps) == 2 and all(s.exchange.response is not None for s in steps)
    first, second = (s.exchange.body["messages"][0]["content"] for s in steps)
    assert first == f"[sim-script:coding] {big_text}" and second == "[sim-script:coding] small one"
    for line in path.read_bytes().splitlines():          # whole lines, each exactly what orjson writes
        assert rec.dumps(orjson.loads(line)) == line + b"\n"
