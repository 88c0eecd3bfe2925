"""Observe mode is byte-exact both ways; page mode sends handles after τ turns; count_tokens sees the paged view."""
from __future__ import annotations

import json

import httpx

from pichay_tui.sim.agent import SimulatedAgent
from pichay_tui.sim.script import answer_ok
from proxy_helpers import get_json

HEADERS = {"x-api-key": "dummy", "anthropic-version": "2023-06-01", "content-type": "application/json",
           "x-claude-code-session-id": "observe-1"}


async def _bodies(upstream) -> list[dict]:
    """The request bodies of a full `coding` run (straight to the upstream), to resend in odd encodings."""
    result = await SimulatedAgent(upstream.url, upstream.workdir, script="coding",
                                  session_id="observe-1").run()
    upstream.capture.seen.clear()
    return result.requests


async def test_observe_mode_is_byte_exact(make_proxy, upstream):
    bodies = await _bodies(upstream)
    proxy = await make_proxy(mode="observe")
    async with httpx.AsyncClient(timeout=30) as client:
        for i, body in enumerate(bodies):
            # unusual but valid JSON: indentation, escaped non-ASCII, reordered keys, a trailing newline
            raw = (json.dumps(dict(reversed(list(body.items()))), indent=i % 3 or None, ensure_ascii=True) +
                   "\n").encode()
            resp = await client.post(f"{proxy.url}/v1/messages?beta=true", content=raw, headers=HEADERS)
            got = await resp.aread()
            seen = upstream.capture.messages()[-1]
            assert seen.body == raw, f"request {i} was altered"
            assert seen.query == "beta=true"
            assert got == bytes(seen.response), f"response {i} was altered"
    state = await get_json(f"{proxy.url}/_pichay/state")
    [session] = state["sessions"]
    assert state["mode"] == "observe"
    assert session["stats"]["requests"] == len(bodies)
    assert len(session["pages"]) > 10                 # the page table still fills
    assert session["stats"]["evictions"] == 0
    assert all("[Paged out:" not in c.body.decode() for c in upstream.capture.messages())


async def test_page_mode_sends_handles_after_tau_turns(make_proxy, upstream):
    proxy = await make_proxy(mode="page", age_threshold=4)
    result = await SimulatedAgent(proxy.url, upstream.workdir, script="coding").run()
    assert answer_ok(result.final_text, "coding"), result.final_text
    sent = [c.body.decode() for c in upstream.capture.messages()]
    first_handle = next(i for i, b in enumerate(sent) if "[Paged out:" in b)
    assert first_handle >= 4                          # nothing is old enough before τ user turns
    assert "[Paged out:" in sent[-1]
    # the client itself always sent the full history; the upstream got less
    assert all("[Paged out:" not in json.dumps(b) for b in result.requests)
    assert len(upstream.capture.messages()[-1].body) < len(json.dumps(result.requests[-1]).encode())
    state = await get_json(f"{proxy.url}/_pichay/state")
    [session] = state["sessions"]
    assert session["stats"]["evictions"] >= 1
    assert any(p["state"] != "resident" for p in session["pages"])


async def test_count_tokens_counts_the_paged_view(make_proxy, upstream):
    proxy = await make_proxy(mode="page", age_threshold=4)
    agent = SimulatedAgent(proxy.url, upstream.workdir, script="coding", session_id="ct-1")
    result = await agent.run()
    body = dict(result.requests[-1])
    body.pop("stream", None)
    body.pop("max_tokens", None)
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{proxy.url}/v1/messages/count_tokens?beta=true", json=body,
                              headers={**HEADERS, "x-claude-code-session-id": "ct-1"})
    assert r.status_code == 200 and r.json()["input_tokens"] > 0
    seen = [c for c in upstream.capture.seen if c.path == "/v1/messages/count_tokens"][-1]
    assert "[Paged out:" in seen.body.decode()
