"""The fake upstream speaks the Messages API well enough for the official anthropic SDK."""
from __future__ import annotations

import anthropic
import httpx
import pytest

from pichay_tui.sim.script import script_prompt
from pichay_tui.sim.tool_defs import TOOLS


@pytest.fixture
async def sdk(upstream):
    async with anthropic.AsyncAnthropic(base_url=upstream[0], api_key="dummy", max_retries=0) as client:
        yield client


def _msgs(workdir):
    return [{"role": "user", "content": script_prompt("coding", str(workdir))}]


async def test_sdk_streaming_sees_tool_use(sdk, upstream, workdir):
    texts = []
    async with sdk.messages.stream(model="claude-sim-1", max_tokens=1000, messages=_msgs(workdir),
                                   tools=TOOLS) as stream:
        async for event in stream:
            if event.type == "text":
                texts.append(event.text)
        final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    use = [b for b in final.content if b.type == "tool_use"][0]
    assert use.name == "Glob" and use.input == {"pattern": "**/*.py", "path": str(workdir)}
    assert use.id.startswith("toolu_sim_0000_")
    assert "".join(texts) == final.content[0].text
    assert final.usage.input_tokens + final.usage.cache_creation_input_tokens > 0
    assert upstream[1].message_bodies()[0]["stream"] is True


async def test_sdk_non_streaming_and_second_step(sdk, workdir):
    first = await sdk.messages.create(model="m", max_tokens=100, messages=_msgs(workdir), tools=TOOLS)
    use = first.content[-1]
    msgs = _msgs(workdir) + [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "x.py"}]}]
    second = await sdk.messages.create(model="m", max_tokens=100, messages=msgs, tools=TOOLS)
    read = second.content[-1]
    assert read.type == "tool_use" and read.name == "Read"
    assert read.input == {"file_path": f"{workdir}/README.md"}
    assert read.id.startswith("toolu_sim_0001_")


async def test_sdk_streams_parallel_tool_calls(sdk, workdir):
    """Step 4 of `coding` is two tool_use blocks in one message (Read + Grep)."""
    from pichay_tui.sim.model import decide
    msgs = _msgs(workdir)
    for _ in range(4):  # replay steps 0-3 through the pure model, then stream step 4 through the SDK
        reply = decide({"tools": TOOLS, "messages": msgs}, "coding", str(workdir))
        msgs = msgs + [{"role": "assistant", "content": reply.content},
                       {"role": "user", "content": [{"type": "tool_result", "tool_use_id": b["id"], "content": "ok"}
                                                    for b in reply.content if b["type"] == "tool_use"]}]
    async with sdk.messages.stream(model="m", max_tokens=100, messages=msgs, tools=TOOLS) as stream:
        final = await stream.get_final_message()
    uses = [b for b in final.content if b.type == "tool_use"]
    assert [u.name for u in uses] == ["Read", "Grep"]
    assert uses[1].input["pattern"] == "^(def|class) " and uses[1].input["glob"] == "*.py"
    assert len({u.id for u in uses}) == 2


async def test_side_request_without_tools_gets_text(sdk):
    msg = await sdk.messages.create(model="m", max_tokens=20, messages=[{"role": "user", "content": "Write a title"}])
    assert msg.stop_reason == "end_turn" and msg.content[0].type == "text"


async def test_count_tokens_models_and_head(sdk, upstream, workdir):
    url, state = upstream
    count = await sdk.messages.count_tokens(model="m", messages=_msgs(workdir), tools=TOOLS)
    assert count.input_tokens > 1000  # the tool definitions alone are ~12 KB
    async with httpx.AsyncClient() as http:
        assert (await http.head(url + "/")).status_code == 200
        assert (await http.get(url + "/v1/models")).json()["data"][0]["id"]
    assert state.requests[0]["path"] == "/v1/messages/count_tokens"
    assert state.requests[0]["body"]["messages"][0]["role"] == "user"
