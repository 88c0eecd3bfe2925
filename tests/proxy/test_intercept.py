"""Intercept mode: the proxy holds /v1/messages until the operator releases it; commands queued meanwhile apply to it."""
from __future__ import annotations

import asyncio
import time

import anthropic
import httpx
import orjson

from pichay_tui.sim.agent import SimulatedAgent
from pichay_tui.sim.tool_defs import TOOLS
from proxy_helpers import DUMMY_KEY, control_headers, get_json, read_events

PROMPT = [{"role": "user", "content": "[sim-script:coding] hello"}]


async def command(proxy, name: str, **args) -> httpx.Response:
    async with httpx.AsyncClient() as c:
        return await c.post(f"{proxy.url}/_pichay/commands", json={"command": name, **args},
                            headers=control_headers(proxy))


async def held(proxy, n: int = 1, timeout: float = 5.0) -> list[dict]:
    """Wait until the control API lists `n` held requests."""
    end = time.monotonic() + timeout
    while True:
        state = await get_json(f"{proxy.url}/_pichay/state?pages=0")
        if len(state["intercept"]["held"]) == n:
            return state["intercept"]["held"]
        assert time.monotonic() < end, f"expected {n} held, state says {state['intercept']}"
        await asyncio.sleep(0.02)


def sdk(proxy) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(api_key=DUMMY_KEY, base_url=proxy.url, max_retries=0)


async def test_sdk_request_is_held_listed_and_released(proxy, upstream):
    got: list = []
    ready = asyncio.Event()
    reader = asyncio.ensure_future(read_events(f"{proxy.url}/_pichay/events", got, ready))
    await asyncio.wait_for(ready.wait(), 5)
    state = await get_json(f"{proxy.url}/_pichay/state")
    assert state["intercept"] == {"enabled": False, "timeout_s": 300.0, "held": []}
    r = await command(proxy, "intercept.toggle")
    assert r.status_code == 200 and r.json()["result"]["enabled"] is True
    call = asyncio.ensure_future(sdk(proxy).messages.create(model="claude-sim-1", max_tokens=100, messages=PROMPT,
                                                             tools=TOOLS))
    [h] = await held(proxy)
    assert h["session"] == "new session" and h["path"] == "/v1/messages" and h["messages"] == 1
    assert h["id"] and h["waiting_s"] >= 0
    await asyncio.sleep(0.1)
    assert not call.done() and upstream.capture.messages() == []          # the upstream has not seen it
    r = await command(proxy, "intercept.release")                        # default: the oldest
    assert r.status_code == 200 and r.json()["result"]["released"] == [h["id"]]
    msg = await asyncio.wait_for(call, 10)
    assert msg.stop_reason == "tool_use" and len(upstream.capture.messages()) == 1
    assert (await get_json(f"{proxy.url}/_pichay/state"))["intercept"]["held"] == []
    for _ in range(100):
        if any(n == "request_released" for n, _ in got):
            break
        await asyncio.sleep(0.02)
    reader.cancel()
    kinds = [n for n, _ in got]
    assert "intercept_changed" in kinds and "request_held" in kinds and "request_released" in kinds
    released = next(d for n, d in got if n == "request_released")
    assert released["data"]["id"] == h["id"] and released["data"]["reason"] == "operator"
    assert kinds.index("request_held") < kinds.index("session_started")   # held before the engine saw it


async def test_commands_queued_while_held_apply_to_that_request(proxy, upstream):
    result = await SimulatedAgent(proxy.url, upstream.workdir, script="coding").run()
    state = await get_json(f"{proxy.url}/_pichay/state")
    [s] = state["sessions"]
    resident = [p for p in s["pages"] if p["state"] == "resident" and p["kind"] == "tool_result"
                and not p["pin_reason"] and p["age"] > 0]      # not the last user turn
    assert len(resident) >= 2
    to_evict, to_pin = resident[-1], resident[0]       # the newest goes; the oldest (about to age out) stays
    assert (await command(proxy, "intercept.on")).status_code == 200
    body = dict(result.requests[-1])
    body["messages"] = body["messages"] + [{"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
                                           {"role": "user", "content": "thanks"}]
    before = len(upstream.capture.messages())
    async with httpx.AsyncClient(timeout=30) as c:
        post = asyncio.ensure_future(c.post(f"{proxy.url}/v1/messages", json={**body, "stream": False},
                                            headers={"x-api-key": DUMMY_KEY,
                                                     "x-claude-code-session-id": result.session_id}))
        [h] = await held(proxy)
        assert h["session"] == s["id"] and h["messages"] == len(body["messages"])
        assert len(upstream.capture.messages()) == before
        # the operator looks at the page table and queues commands while the request waits
        r = await command(proxy, "page.evict", session=s["id"], page=to_evict["id"])
        assert r.status_code == 200 and r.json()["ok"]
        r = await command(proxy, "page.pin", session=s["id"], page=to_pin["id"])
        assert r.status_code == 200 and r.json()["ok"], r.text
        pending = {p["page"]: p["command"] for p in (await get_json(f"{proxy.url}/_pichay/state"))["sessions"][0]
                   ["pending"]}
        assert pending == {to_evict["id"]: "page.evict", to_pin["id"]: "page.pin"}
        assert len(upstream.capture.messages()) == before
        r = await command(proxy, "intercept.release", id=h["id"])
        assert r.status_code == 200
        resp = await asyncio.wait_for(post, 10)
    assert resp.status_code == 200
    sent = orjson.loads(upstream.capture.messages()[-1].body)
    results = {b["tool_use_id"]: b for m in sent["messages"] if isinstance(m["content"], list)
               for b in m["content"] if b.get("type") == "tool_result"}
    assert "[Paged out" in orjson.dumps(results[to_evict["tool_use_id"]]).decode()
    assert "[Paged out" not in orjson.dumps(results[to_pin["tool_use_id"]]).decode()
    after = {p["id"]: p for p in (await get_json(f"{proxy.url}/_pichay/state"))["sessions"][0]["pages"]}
    assert after[to_evict["id"]]["state"] == "evicted" and after[to_evict["id"]]["evict_reason"] == "operator"
    assert after[to_pin["id"]]["state"] == "pinned" and after[to_pin["id"]]["pin_reason"] == "operator"


async def test_client_disconnect_while_held_drops_the_request(proxy, upstream):
    await command(proxy, "intercept.on")
    client = httpx.AsyncClient(timeout=30)
    post = asyncio.ensure_future(client.post(f"{proxy.url}/v1/messages",
                                             json={"model": "m", "max_tokens": 10, "messages": PROMPT}))
    await held(proxy, 1)
    post.cancel()
    await client.aclose()                                  # the connection goes away
    await held(proxy, 0)
    assert upstream.capture.messages() == []
    state = await get_json(f"{proxy.url}/_pichay/state")
    assert state["sessions"] == [] and state["intercept"]["enabled"] is True
    r = await command(proxy, "intercept.release")
    assert r.status_code == 409 and "no request is held" in r.json()["error"]


async def test_intercept_off_releases_everything(proxy, upstream):
    await command(proxy, "intercept.on")
    client = sdk(proxy)
    calls = [asyncio.ensure_future(client.messages.create(model="m", max_tokens=10, messages=PROMPT, tools=TOOLS))
             for _ in range(2)]
    ids = [h["id"] for h in await held(proxy, 2)]
    r = await command(proxy, "intercept.release", id="h999")
    assert r.status_code == 404
    r = await command(proxy, "intercept.off")
    assert r.status_code == 200 and sorted(r.json()["result"]["released"]) == sorted(ids)
    msgs = await asyncio.wait_for(asyncio.gather(*calls), 10)
    assert all(m.stop_reason == "tool_use" for m in msgs) and len(upstream.capture.messages()) == 2
    state = await get_json(f"{proxy.url}/_pichay/state")
    assert state["intercept"]["enabled"] is False and state["intercept"]["held"] == []


async def test_release_all_and_listing(proxy, upstream):
    async with httpx.AsyncClient() as c:
        listing = (await c.get(f"{proxy.url}/_pichay/commands")).json()["commands"]
    names = {cmd["name"] for cmd in listing}
    assert {"intercept.toggle", "intercept.on", "intercept.off", "intercept.release", "intercept.release_all",
            "page.pin"} <= names
    await command(proxy, "intercept.on")
    client = sdk(proxy)
    calls = [asyncio.ensure_future(client.messages.create(model="m", max_tokens=10, messages=PROMPT, tools=TOOLS))
             for _ in range(3)]
    await held(proxy, 3)
    r = await command(proxy, "intercept.release_all")
    assert len(r.json()["result"]["released"]) == 3
    await asyncio.wait_for(asyncio.gather(*calls), 10)
    assert (await get_json(f"{proxy.url}/_pichay/state"))["intercept"]["enabled"] is True
    r = await command(proxy, "intercept.on", bogus=1)
    assert r.status_code == 400


async def test_safety_timeout_releases(make_proxy, upstream):
    proxy = await make_proxy(intercept_timeout=0.3)
    await command(proxy, "intercept.on")
    t0 = time.monotonic()
    msg = await asyncio.wait_for(sdk(proxy).messages.create(model="m", max_tokens=10, messages=PROMPT, tools=TOOLS),
                                 10)
    assert msg.stop_reason == "tool_use" and time.monotonic() - t0 >= 0.3
    r = await command(proxy, "intercept.on", timeout=0)       # 0: no timeout
    assert r.json()["result"]["intercept"]["timeout_s"] is None
