"""Control API: state shape, named commands with JSON errors, the server-sent event stream."""
from __future__ import annotations

import asyncio

import httpx

from pichay_tui.core.events import Event
from pichay_tui.proxy.control import Subscriber
from pichay_tui.sim.agent import SimulatedAgent
from proxy_helpers import control_headers, get_json, read_events

SESSION_KEYS = {"id", "client", "turns", "stats", "pages"}
STATS_KEYS = {"requests", "evictions", "gc", "faults", "pins", "resident_tokens", "evicted_tokens", "zone"}
PAGE_KEYS = {"id", "kind", "tool", "key", "state", "bytes", "tokens", "age", "faults"}


async def test_state_shape_and_commands(proxy, upstream):
    await SimulatedAgent(proxy.url, upstream.workdir, script="coding").run()
    state = await get_json(f"{proxy.url}/_pichay/state")
    [s] = state["sessions"]
    assert SESSION_KEYS <= set(s) and STATS_KEYS <= set(s["stats"])
    assert all(PAGE_KEYS <= set(p) for p in s["pages"])
    resident = next(p for p in s["pages"] if p["state"] == "resident" and p["kind"] == "tool_result")
    async with httpx.AsyncClient(headers=control_headers(proxy)) as c:
        url = f"{proxy.url}/_pichay/commands"
        r = await c.post(url, json={"command": "page.pin", "session": s["id"], "page": resident["id"]})
        assert r.status_code == 200 and r.json()["ok"] is True
        r = await c.post(url, json={"command": "page.pin", "session": s["id"], "page": "nope"})
        assert r.status_code == 404 and r.json()["ok"] is False and "unknown page" in r.json()["error"]
        r = await c.post(url, json={"command": "page.teleport", "session": s["id"]})
        assert r.status_code == 404 and "unknown command" in r.json()["error"]
        r = await c.post(url, json={"command": "page.pin", "session": "s-missing", "page": "x"})
        assert r.status_code == 404
        r = await c.post(url, content=b"{oops", headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["ok"] is False
        r = await c.post(url, json={"page": "x"})
        assert r.status_code == 400
        listing = (await c.get(url)).json()["commands"]
        assert {"page.pin", "page.evict"} <= {cmd["name"] for cmd in listing}
        assert (await c.get(f"{proxy.url}/_pichay/nothing")).status_code == 404
    state = await get_json(f"{proxy.url}/_pichay/state")
    assert state["sessions"][0]["pending"][0]["command"] == "page.pin"


async def test_commands_are_refused_in_observe_mode(make_proxy, upstream):
    proxy = await make_proxy(mode="observe")
    await SimulatedAgent(proxy.url, upstream.workdir, script="coding").run()
    async with httpx.AsyncClient(headers=control_headers(proxy)) as c:
        r = await c.post(f"{proxy.url}/_pichay/commands", json={"command": "page.pin", "page": "x"})
    assert r.status_code == 409 and "observe mode" in r.json()["error"]


async def test_event_stream_carries_core_events(proxy, upstream):
    got: list = []
    ready = asyncio.Event()
    reader = asyncio.ensure_future(read_events(f"{proxy.url}/_pichay/events", got, ready))
    await asyncio.wait_for(ready.wait(), 5)
    await SimulatedAgent(proxy.url, upstream.workdir, script="coding").run()
    for _ in range(100):
        if sum(1 for n, _ in got if n == "response_completed") >= 13:
            break
        await asyncio.sleep(0.02)
    reader.cancel()
    kinds = [n for n, _ in got]
    assert kinds[0] == "hello"
    assert {"session_started", "page_added", "request_paged", "page_evicted", "page_faulted",
            "response_completed"} <= set(kinds)
    seqs = [d["seq"] for n, d in got if n != "hello"]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


def test_subscriber_queue_is_bounded_and_reports_lag():
    sub = Subscriber(size=3)
    for i in range(5):
        sub.push(Event("page_added", "s1", 1, 0.0, {}, seq=i + 1))
    assert [e.seq for e in sub.queue] == [3, 4, 5] and sub.lagged == 2


async def test_event_stream_sends_lagged_when_a_reader_falls_behind(proxy, upstream, monkeypatch):
    monkeypatch.setattr("pichay_tui.proxy.control.QUEUE_SIZE", 2)
    got: list = []
    ready = asyncio.Event()
    reader = asyncio.ensure_future(read_events(f"{proxy.url}/_pichay/events", got, ready))
    await asyncio.wait_for(ready.wait(), 5)
    for i in range(10):        # emitted synchronously: the stream cannot keep up
        proxy.engine.record_failure("test", f"e{i}")
    for _ in range(100):
        if any(n == "engine_failed" and d["data"]["error"] == "e9" for n, d in got):
            break
        await asyncio.sleep(0.02)
    reader.cancel()
    lagged = [d for n, d in got if n == "lagged"]
    assert lagged and lagged[0]["dropped"] == 8
    assert [d["data"]["error"] for n, d in got if n == "engine_failed"] == ["e8", "e9"]
