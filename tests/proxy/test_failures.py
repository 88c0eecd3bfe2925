"""Fail-open, upstream errors reaching the client faithfully, timeouts, bad input, client disconnects."""
from __future__ import annotations

import asyncio

import anthropic
import httpx
import orjson
import pytest

from pichay_tui.sim.tool_defs import TOOLS
from pichay_tui.sim.upstream import run_upstream
from proxy_helpers import DUMMY_KEY, get_json

PROMPT = [{"role": "user", "content": "[sim-script:coding] hello"}]


def sdk(proxy) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(api_key=DUMMY_KEY, base_url=proxy.url, max_retries=0)


async def ok_request(proxy, stream: bool = False):
    """The proxy still serves a normal request."""
    if stream:
        async with sdk(proxy).messages.stream(model="m", max_tokens=50, messages=PROMPT, tools=TOOLS) as s:
            return await s.get_final_message()
    return await sdk(proxy).messages.create(model="m", max_tokens=50, messages=PROMPT, tools=TOOLS)


async def test_fail_open_on_engine_exception(proxy, upstream, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("injected engine failure")

    monkeypatch.setattr(proxy.engine, "handle_request", boom)
    raw = orjson.dumps({"model": "m", "max_tokens": 50, "messages": PROMPT, "tools": TOOLS}) + b"  "
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{proxy.url}/v1/messages", content=raw,
                         headers={"x-api-key": DUMMY_KEY, "content-type": "application/json"})
    assert r.status_code == 200 and r.json()["stop_reason"] == "tool_use"
    assert upstream.capture.messages()[-1].body == raw        # the client's original bytes, untouched
    state = await get_json(f"{proxy.url}/_pichay/state")
    assert state["failures"] == 1
    monkeypatch.undo()
    assert (await ok_request(proxy, stream=True)).stop_reason == "tool_use"


async def test_fail_open_on_response_side_failure(proxy, upstream, monkeypatch):
    monkeypatch.setattr(proxy.engine, "handle_response", lambda *a, **k: 1 / 0)
    assert (await ok_request(proxy, stream=True)).stop_reason == "tool_use"
    assert (await get_json(f"{proxy.url}/_pichay/state"))["failures"] == 1


@pytest.mark.parametrize("status,error", [(500, anthropic.InternalServerError), (529, anthropic.APIStatusError),
                                          (429, anthropic.RateLimitError)])
async def test_upstream_error_status_reaches_client(proxy, upstream, status, error):
    upstream.sim.faults.update({"fail_status": status})
    with pytest.raises(error) as info:
        await ok_request(proxy)
    assert info.value.status_code == status
    assert info.value.body["error"]["message"] == f"simulated {status}"
    assert (await ok_request(proxy)).stop_reason == "tool_use"


async def test_upstream_5xx_on_stream_reaches_client(proxy, upstream):
    upstream.sim.faults.update({"fail_status": 503})
    with pytest.raises(anthropic.APIStatusError) as info:
        await ok_request(proxy, stream=True)
    assert info.value.status_code == 503
    assert (await ok_request(proxy, stream=True)).stop_reason == "tool_use"


async def test_reset_mid_stream_becomes_sse_error(proxy, upstream):
    upstream.sim.faults.update({"reset_after_events": 3})
    with pytest.raises(anthropic.APIStatusError) as info:
        await ok_request(proxy, stream=True)
    assert "upstream stream failed" in str(info.value)
    state = await get_json(f"{proxy.url}/_pichay/state")
    assert state["sessions"][0]["stats"]["requests"] == 1
    assert (await ok_request(proxy, stream=True)).stop_reason == "tool_use"


async def test_reset_mid_body_non_streaming_breaks_the_response(proxy, upstream):
    upstream.sim.faults.update({"reset_after_events": 0})
    with pytest.raises((anthropic.APIConnectionError, anthropic.APIStatusError)):
        await ok_request(proxy)
    assert (await ok_request(proxy)).stop_reason == "tool_use"


async def test_upstream_timeout_is_504(make_proxy, upstream):
    proxy = await make_proxy(timeout=httpx.Timeout(5.0, read=0.3))
    upstream.sim.faults.update({"delay": 1.0})
    with pytest.raises(anthropic.APIStatusError) as info:
        await ok_request(proxy)
    assert info.value.status_code == 504
    assert info.value.body["error"]["type"] == "timeout_error"
    await asyncio.sleep(0.8)
    assert (await ok_request(proxy)).stop_reason == "tool_use"


async def test_unreachable_upstream_is_502(make_proxy):
    proxy = await make_proxy(url="http://127.0.0.1:9")
    with pytest.raises(anthropic.APIStatusError) as info:
        await ok_request(proxy)
    assert info.value.status_code == 502


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"messages": [1, 2', "\u00e9".encode("latin-1")])
async def test_malformed_json_is_a_clear_400(proxy, upstream, raw):
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{proxy.url}/v1/messages", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 400
        err = r.json()
        assert err["type"] == "error" and err["error"]["type"] == "invalid_request_error"
        assert "not valid JSON" in err["error"]["message"]
        r = await c.post(f"{proxy.url}/v1/messages/count_tokens", content=raw)
        assert r.status_code == 400
    assert upstream.capture.messages() == []
    assert (await ok_request(proxy)).stop_reason == "tool_use"


async def test_valid_json_without_messages_goes_upstream_unchanged(proxy, upstream):
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{proxy.url}/v1/messages", content=b'["x"]')
    assert r.status_code == 400 and "messages" in r.json()["error"]["message"]   # the upstream's own 400
    assert (await get_json(f"{proxy.url}/_pichay/state"))["failures"] == 0


async def _slow_upstream(seen: dict):
    """An upstream that streams one SSE ping every 50 ms forever and notes when its client goes away."""
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        while (await receive()).get("more_body"):
            pass
        seen["started"] = asyncio.get_running_loop().time()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})

        async def pings():
            while True:
                await send({"type": "http.response.body", "body": b"event: ping\ndata: {\"type\": \"ping\"}\n\n",
                            "more_body": True})
                await asyncio.sleep(0.05)

        task = asyncio.ensure_future(pings())
        while (await receive())["type"] != "http.disconnect":
            pass
        seen["gone"] = asyncio.get_running_loop().time()
        task.cancel()
    return app


async def test_client_disconnect_cancels_upstream(make_proxy):
    seen: dict = {}
    async with run_upstream(await _slow_upstream(seen)) as url:
        proxy = await make_proxy(url=url)
        async with httpx.AsyncClient() as c:
            async with c.stream("POST", f"{proxy.url}/v1/messages", json={"messages": [], "stream": True}) as r:
                async for chunk in r.aiter_raw():
                    assert b"ping" in chunk
                    break
        for _ in range(100):
            if "gone" in seen:
                break
            await asyncio.sleep(0.02)
        assert "gone" in seen, "the upstream stream kept running after the client left"
        state = await get_json(f"{proxy.url}/_pichay/state")
        assert state["failures"] == 0


async def test_client_disconnect_before_headers_cancels_upstream(make_proxy, upstream):
    proxy = await make_proxy()
    events = []
    proxy.engine.subscribe(events.append)
    upstream.sim.faults.update({"delay": 1.5})
    with pytest.raises(httpx.ReadTimeout):
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=0.2)) as c:
            await c.post(f"{proxy.url}/v1/messages", json={"model": "m", "max_tokens": 5, "messages": PROMPT,
                                                           "tools": TOOLS})
    for _ in range(50):
        if any(e.kind == "response_completed" for e in events):
            break
        await asyncio.sleep(0.02)
    done = [e for e in events if e.kind == "response_completed"]
    assert done and done[0].data["status"] == 499          # noticed within ~1 s, long before the upstream answered
