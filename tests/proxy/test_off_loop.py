"""Big bodies are parsed, token-counted and spliced off the event loop: while one is being processed, the control
API and other sessions are served (checked by ordering: the big request is held mid-precompute, not by timing)."""
from __future__ import annotations

import asyncio
import threading

import httpx
import orjson

from pichay_tui.proxy import app as app_module
from pichay_tui.sim.tool_defs import TOOLS

HEADERS = {"x-api-key": "dummy", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def body(text: str, session: str) -> dict:
    return {"model": "m", "max_tokens": 50, "tools": TOOLS, "metadata": {"user_id": session},
            "messages": [{"role": "user", "content": f"[sim-script:coding] {text}"}]}


async def test_control_and_other_sessions_answer_while_a_big_body_is_processed(proxy, upstream, monkeypatch):
    entered, gate = threading.Event(), threading.Event()
    real = app_module.precompute

    def held(*a, **kw):          # runs in the worker thread: blocks it, never the loop
        entered.set()
        assert gate.wait(60), "test gate never opened"
        return real(*a, **kw)

    monkeypatch.setattr(app_module, "precompute", held)
    big = orjson.dumps(body("x" * (app_module.BIG_BODY + 1000), "big"))
    small = orjson.dumps(body("hello", "small"))
    async with httpx.AsyncClient(timeout=60) as client:
        try:
            task = asyncio.ensure_future(client.post(f"{proxy.url}/v1/messages", content=big,
                                                     headers={**HEADERS, "x-claude-code-session-id": "big"}))
            assert await asyncio.to_thread(entered.wait, 30)
            state = await client.get(f"{proxy.url}/_pichay/state")
            assert state.status_code == 200
            other = await client.post(f"{proxy.url}/v1/messages", content=small,
                                      headers={**HEADERS, "x-claude-code-session-id": "small"})
            assert other.status_code == 200 and other.json()["type"] == "message"
            assert not task.done()                       # the big one is still inside precompute
        finally:
            gate.set()
        r = await task
    assert r.status_code == 200
    sent = upstream.capture.messages()[-1].body
    assert len(sent) > app_module.BIG_BODY and b"x" * 100_000 in sent
    sessions = {s["id"] for s in (await client_state(proxy))["sessions"]}
    assert len(sessions) == 2


async def client_state(proxy) -> dict:
    async with httpx.AsyncClient() as c:
        return (await c.get(f"{proxy.url}/_pichay/state")).json()


def test_pieces_parse_equals_full_parse():
    from pichay_tui.core.wire.parse import loads, loads_in_pieces

    raw = (b' {"a": 1, "messages": [ {"role":"user","content":"x"}, {"n": 123456789012345678901234567890}],'
           b' "a": [2.5], "dup": {"k": 1, "k": 2}} ')
    assert loads_in_pieces(raw) == loads(raw)
    assert loads_in_pieces(b'{"x": 1e400}') == loads(b'{"x": 1e400}')      # orjson refuses it: the stdlib parses
    for bad in (b'{"a": 1', b'{"a": 1} x', b"[1]", b'{"messages": [1,]}'):
        try:
            expected = loads(bad)
        except orjson.JSONDecodeError:
            try:
                loads_in_pieces(bad)
            except orjson.JSONDecodeError:
                continue
            raise AssertionError(f"{bad!r} parsed in pieces but not whole")
        assert loads_in_pieces(bad) == expected


async def test_a_rewritten_history_is_prepared_off_the_loop_from_where_it_diverges(proxy, monkeypatch):
    """The engine re-ingests from the first message that changed (a rewrite, a microcompact), which can be before the
    messages it had: those big blocks must be hashed in the worker too, never on the loop (precompute's prev_fps)."""
    from pichay_tui.core.model import blocks

    on_loop: list[int] = []
    real = blocks.hash_and_size

    def watched(obj):
        out = real(obj)
        if out[1] > 1_000_000 and threading.current_thread() is threading.main_thread():
            on_loop.append(out[1])
        return out

    monkeypatch.setattr(blocks, "hash_and_size", watched)
    big = "line of a big file\n" * 70_000
    use = {"type": "tool_use", "id": "tu1", "name": "Read", "input": {"file_path": "/big.txt"}}
    msgs = [{"role": "user", "content": "[sim-script:coding] read it"},
            {"role": "assistant", "content": [{"type": "text", "text": "reading"}, use]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu1", "content": big}]},
            {"role": "assistant", "content": "read"},
            {"role": "user", "content": "go on"}]
    headers = {**HEADERS, "x-claude-code-session-id": "rewrite"}
    async with httpx.AsyncClient(timeout=60) as client:
        first = await client.post(f"{proxy.url}/v1/messages", headers=headers,
                                  content=orjson.dumps({**body("x", "rewrite"), "messages": msgs}))
        assert first.status_code == 200 and on_loop == []
        # the last message it had is not the same any more (a rewind, an edit): the engine looks back from the start
        rewritten = [*msgs[:4], {"role": "user", "content": "go on, differently"},
                     {"role": "assistant", "content": "more"}, {"role": "user", "content": "and now"}]
        second = await client.post(f"{proxy.url}/v1/messages", headers=headers,
                                   content=orjson.dumps({**body("x", "rewrite"), "messages": rewritten}))
        assert second.status_code == 200
    assert on_loop == []                     # the big result, re-ingested after the rewrite, was hashed off the loop
    state = await client_state(proxy)
    assert len(state["sessions"]) == 1       # the same session, its history rewritten
