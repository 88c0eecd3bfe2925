"""Fault injection (5xx, mid-stream reset, delay) and request recording of the fake upstream."""
from __future__ import annotations

import json
import time

import anthropic
import httpx
import pytest

from pichay_tui.sim.agent import AgentError, SimulatedAgent
from pichay_tui.sim.script import answer_ok, script_prompt
from pichay_tui.sim.sse import SSEParser
from pichay_tui.sim.tool_defs import TOOLS
from pichay_tui.sim.upstream import Faults, create_upstream_app, run_upstream


def _body(workdir, stream=True):
    return {"model": "m", "max_tokens": 10, "stream": stream, "tools": TOOLS,
            "messages": [{"role": "user", "content": script_prompt("coding", str(workdir))}]}


async def test_next_request_fails_with_5xx_via_control(upstream, workdir):
    url, state = upstream
    async with httpx.AsyncClient() as http:
        await http.post(url + "/_sim/control", json={"fail_status": 529})
        bad = await http.post(url + "/v1/messages", json=_body(workdir, False))
        assert bad.status_code == 529 and bad.json()["error"]["type"] == "overloaded_error"
        assert (await http.post(url + "/v1/messages", json=_body(workdir, False))).status_code == 200
        await http.post(url + "/_sim/control", json={"fail_status": 500, "fail_count": 2})
    async with anthropic.AsyncAnthropic(base_url=url, api_key="dummy", max_retries=0) as sdk:
        with pytest.raises(anthropic.InternalServerError):
            await sdk.messages.create(**{k: v for k, v in _body(workdir, False).items() if k != "stream"})
    # the agent retries 5xx like Claude Code and still finishes correctly
    result = await SimulatedAgent(url, workdir, script="coding").run()
    assert answer_ok(result.final_text, "coding")


async def test_reset_mid_stream(upstream, workdir):
    url, state = upstream
    state.faults.update({"reset_after_events": 4})
    events = []
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            async with http.stream("POST", url + "/v1/messages", json=_body(workdir)) as resp:
                assert resp.status_code == 200
                parser = SSEParser()
                async for chunk in resp.aiter_bytes():
                    events += [name for name, _ in parser.feed(chunk)]
    assert events == ["message_start", "ping", "content_block_start", "content_block_delta"]
    # one-shot: the next stream is complete again
    async with httpx.AsyncClient() as http:
        resp = await http.post(url + "/v1/messages", json=_body(workdir))
    names = [n for n, _ in SSEParser().feed(resp.content)]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert "input_json_delta" in resp.text


async def test_agent_gives_up_after_retries(workdir):
    app = create_upstream_app(workdir=workdir, faults=Faults(reset_after_events=2, reset_count=10))
    async with run_upstream(app) as url:
        with pytest.raises(AgentError):
            await SimulatedAgent(url, workdir, retries=1).run()
        assert len(app.state.sim.message_bodies()) == 2


async def test_delay_and_recording_file(tmp_path, workdir):
    record = tmp_path / "upstream.jsonl"
    app = create_upstream_app(workdir=workdir, record_path=record, faults=Faults(delay=0.3), chunk_delay=0.001)
    async with run_upstream(app) as url:
        async with httpx.AsyncClient() as http:
            t0 = time.monotonic()
            await http.post(url + "/v1/messages", json=_body(workdir))
            assert time.monotonic() - t0 >= 0.3
            t0 = time.monotonic()
            await http.post(url + "/v1/messages", json=_body(workdir))
            assert time.monotonic() - t0 < 0.3  # the delay was one-shot
            listed = (await http.get(url + "/_sim/requests")).json()
    rows = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(rows) == len(listed) == 2 and rows[0]["body"]["messages"][0]["role"] == "user"
    assert rows[0]["query"] == "" and rows[0]["path"] == "/v1/messages"
