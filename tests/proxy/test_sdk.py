"""The anthropic Python SDK, stream and non-stream, through the proxy to the scripted upstream."""
from __future__ import annotations

import anthropic

from pichay_tui.sim.tool_defs import TOOLS
from proxy_helpers import DUMMY_KEY, get_json

PROMPT = [{"role": "user", "content": "[sim-script:coding] hello"}]


async def test_sdk_non_stream_with_api_key(proxy, upstream):
    client = anthropic.AsyncAnthropic(api_key=DUMMY_KEY, base_url=proxy.url, max_retries=0)
    msg = await client.messages.create(model="claude-sim-1", max_tokens=100, messages=PROMPT, tools=TOOLS)
    assert msg.stop_reason == "tool_use"
    assert any(b.type == "tool_use" for b in msg.content)
    seen = upstream.capture.messages()[-1]
    assert seen.headers["authorization"] == "Bearer " + DUMMY_KEY   # this SDK sends the key as a bearer token
    assert seen.headers["anthropic-version"]                          # whatever version the SDK pins, forwarded
    assert seen.headers["accept-encoding"] == "identity"             # we parse the response, so no compression
    state = await get_json(f"{proxy.url}/_pichay/state")
    [session] = state["sessions"]
    assert session["stats"]["requests"] == 1
    assert session["last_usage"]["output_tokens"] == msg.usage.output_tokens


async def test_sdk_stream_with_x_api_key_and_bearer(proxy, upstream):
    client = anthropic.AsyncAnthropic(auth_token="bearer-" + DUMMY_KEY, base_url=proxy.url, max_retries=0,
                                      default_headers={"anthropic-beta": "tools-2024-05-16",
                                                       "x-api-key": DUMMY_KEY, "connection": "keep-alive, x-hop",
                                                       "x-hop": "must-not-pass"})
    async with client.messages.stream(model="claude-sim-1", max_tokens=100, messages=PROMPT, tools=TOOLS) as s:
        texts = [t async for t in s.text_stream]
        final = await s.get_final_message()
    assert texts and final.stop_reason == "tool_use"
    tool = next(b for b in final.content if b.type == "tool_use")
    assert tool.input  # input_json_delta reassembled by the SDK from our forwarded bytes
    seen = upstream.capture.messages()[-1]
    assert seen.headers["authorization"] == "Bearer bearer-" + DUMMY_KEY
    assert seen.headers["anthropic-beta"] == "tools-2024-05-16"
    assert seen.headers["x-api-key"] == DUMMY_KEY
    assert "x-hop" not in seen.headers        # named hop-by-hop by the client's Connection header
    state = await get_json(f"{proxy.url}/_pichay/state")
    assert state["sessions"][0]["last_usage"]["output_tokens"] == final.usage.output_tokens


async def test_sdk_side_request_and_count_tokens(proxy, upstream):
    client = anthropic.AsyncAnthropic(api_key=DUMMY_KEY, base_url=proxy.url, max_retries=0)
    msg = await client.messages.create(model="claude-sim-1", max_tokens=10,
                                       messages=[{"role": "user", "content": "title please"}])
    assert msg.content[0].text == "Simulated session"
    count = await client.messages.count_tokens(model="claude-sim-1", messages=PROMPT)
    assert count.input_tokens > 0
    assert (await get_json(f"{proxy.url}/_pichay/state"))["side_requests"] == 1


async def test_page_mode_forwards_plain_responses_unchanged(proxy, upstream):
    """Page mode rewrites a response only when it holds phantom calls or cleanup tags; otherwise bytes pass as sent."""
    import httpx
    import orjson

    body = {"model": "claude-sim-1", "max_tokens": 100, "messages": PROMPT, "tools": TOOLS}
    async with httpx.AsyncClient() as c:
        for stream in (False, True):
            r = await c.post(f"{proxy.url}/v1/messages", content=orjson.dumps({**body, "stream": stream}),
                             headers={"x-api-key": DUMMY_KEY, "content-type": "application/json"})
            assert r.status_code == 200
            assert r.content == bytes(upstream.capture.messages()[-1].response)
