"""A big evicted block that comes back from the store (`--state-dir`, SQLite) is read and parsed in a worker thread,
never on the event loop: when the model's memory_fault asks for it, when a client's "file unchanged" notice stands for
it, and when a spilled session that serves it comes back. And the model gets it back byte for byte.

Checked by what runs where, not by timing: every `get` that has to go to the database is noted with its thread, and
one read-ahead is held in its worker while the control API and another session are answered.
"""
from __future__ import annotations

import asyncio
import threading

import httpx
import orjson
import pytest

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.core.model.blocks import short_id
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.upstream import run_upstream
from pichay_tui.store import read_ahead
from pichay_tui.store.sqlite import SQLiteStore

TOOLS = [{"name": "Read", "description": "read a file", "input_schema": {"type": "object"}}]
BIG = "".join(f"line {i} of the big file, caf\u00e9 \u2713 \"quoted\" \\ back\n" for i in range(20_000))   # ~1 MB
PAGE = short_id("tr:tu_big")
NOTICE = "File unchanged since last read. The content from the earlier Read tool_result is still current."
SID = {"x-claude-code-session-id": "big-session"}


class Upstream:
    """Answers text, or a memory_fault call for PAGE when the last user message says FAULT; keeps every body."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            m = await receive()
            raw += m.get("body", b"")
            if not m.get("more_body"):
                break
        body = orjson.loads(raw)
        self.bodies.append(body)
        last = body["messages"][-1]["content"]
        content = [{"type": "tool_use", "id": "toolu_f", "name": "memory_fault", "input": {"paths": [PAGE]}}] \
            if last == "FAULT" else [{"type": "text", "text": "ok"}]
        msg = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": content,
               "stop_reason": "tool_use" if last == "FAULT" else "end_turn",
               "usage": {"input_tokens": 1, "output_tokens": 1}}
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": orjson.dumps(msg)})


def history() -> list[dict]:
    return [{"role": "user", "content": "start"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_big", "name": "Read",
                                               "input": {"file_path": "/big"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_big", "content": BIG}]},
            {"role": "assistant", "content": "read it"}, {"role": "user", "content": "go on"},
            {"role": "assistant", "content": "ok"}, {"role": "user", "content": "next"}]


def reread(msgs: list[dict]) -> list[dict]:
    """The client re-reads /big and answers with a notice instead of the content."""
    return msgs + [{"role": "assistant", "content": [{"type": "tool_use", "id": "tu_again", "name": "Read",
                                                      "input": {"file_path": "/big"}}]},
                   {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_again",
                                                 "content": NOTICE}]}]


def turn(msgs: list[dict], text: str) -> list[dict]:
    return msgs + [{"role": "assistant", "content": "ok"}, {"role": "user", "content": text}]


async def post(client: httpx.AsyncClient, url: str, msgs: list[dict], headers=SID) -> httpx.Response:
    r = await client.post(f"{url}/v1/messages", headers=headers,
                          content=orjson.dumps({"model": "m", "max_tokens": 5, "tools": TOOLS, "messages": msgs}))
    assert r.status_code == 200, r.text
    return r


@pytest.fixture
def cold_reads_on_loop(monkeypatch):
    """(hash, thread) of every `get` that had to read the database, on the event loop's (main) thread."""
    seen: list[str] = []
    real = SQLiteStore.get

    def spy(self, h):
        if h not in self._cache and h not in self._pending and threading.current_thread() is threading.main_thread():
            seen.append(h)
        return real(self, h)

    monkeypatch.setattr(SQLiteStore, "get", spy)
    return seen


async def evicted_then_restarted(tmp_path, url: str, client: httpx.AsyncClient, resident: int = 64) -> ProxyServer:
    """A session reads /big, which is evicted; a restart leaves it only in SQLite (nothing cached)."""
    proxy = ProxyServer(ProxyOptions(port=0, upstream=url, mode="page", state_dir=str(tmp_path)))
    await proxy.start()
    try:
        await post(client, proxy.url, history())
        (s,) = proxy.engine.sessions.values()
        if not s.pages[PAGE].state.is_out:                  # (the policy may have evicted it already)
            proxy.engine.command("page.evict", page=PAGE)
        await post(client, proxy.url, turn(history(), "more"))
        assert s.pages[PAGE].state.value == "evicted"
    finally:
        await proxy.stop()
    proxy = ProxyServer(ProxyOptions(port=0, upstream=url, mode="page", state_dir=str(tmp_path)),
                        resident_sessions=resident)
    await proxy.start()
    return proxy


async def test_memory_fault_reads_the_stored_block_off_the_loop(tmp_path, cold_reads_on_loop):
    up = Upstream()
    async with run_upstream(up) as url, httpx.AsyncClient(timeout=60) as client:
        proxy = await evicted_then_restarted(tmp_path, url, client)
        try:
            r = await post(client, proxy.url, turn(turn(history(), "more"), "FAULT"))
            assert r.json()["content"] == [{"type": "text", "text": "ok"}]      # the phantom call answered, hidden
            answer = up.bodies[-1]["messages"][-1]["content"][0]                   # the continuation's tool_result
            assert answer["tool_use_id"] == "toolu_f" and answer["content"] == BIG  # byte for byte (parsed: equal)
            assert cold_reads_on_loop == []
        finally:
            await proxy.stop()


async def test_an_unchanged_notice_is_served_from_a_block_read_off_the_loop(tmp_path, cold_reads_on_loop):
    up = Upstream()
    async with run_upstream(up) as url, httpx.AsyncClient(timeout=60) as client:
        proxy = await evicted_then_restarted(tmp_path, url, client)
        try:
            await post(client, proxy.url, reread(turn(history(), "more")))
            served = up.bodies[-1]["messages"][-1]["content"][0]
            assert served["tool_use_id"] == "tu_again" and served["content"] == BIG   # the notice's place
            assert cold_reads_on_loop == []
        finally:
            await proxy.stop()


async def test_a_spilled_session_serving_a_big_block_comes_back_off_the_loop(tmp_path, cold_reads_on_loop):
    up = Upstream()
    async with run_upstream(up) as url, httpx.AsyncClient(timeout=60) as client:
        proxy = await evicted_then_restarted(tmp_path, url, client, resident=1)
        try:
            msgs = reread(turn(history(), "more"))
            await post(client, proxy.url, msgs)                          # the notice is served (an override)
            cold_reads_on_loop.clear()                                   # (the restart itself read it at startup)
            await post(client, proxy.url, [{"role": "user", "content": "hi"}], {"x-claude-code-session-id": "B"})
            assert proxy.engine.sessions.spilled                          # the big session left RAM
            proxy.store._cache.clear()                                    # as after 512 other blocks
            await post(client, proxy.url, turn(msgs, "again"))
            assert up.bodies[-1]["messages"][len(msgs) - 1]["content"][0]["content"] == BIG   # still served
            assert cold_reads_on_loop == []
        finally:
            await proxy.stop()


async def test_control_and_other_sessions_answer_while_a_stored_block_is_read(tmp_path, monkeypatch):
    entered, gate = threading.Event(), threading.Event()
    real = read_ahead.ReadAhead.prefetch

    def held(self, hashes):          # runs in the worker thread: blocks it, never the loop
        entered.set()
        assert gate.wait(60), "test gate never opened"
        return real(self, hashes)

    up = Upstream()
    async with run_upstream(up) as url, httpx.AsyncClient(timeout=60) as client:
        proxy = await evicted_then_restarted(tmp_path, url, client)
        monkeypatch.setattr(read_ahead.ReadAhead, "prefetch", held)
        try:
            task = asyncio.ensure_future(post(client, proxy.url, turn(turn(history(), "more"), "FAULT")))
            try:
                assert await asyncio.to_thread(entered.wait, 30)
                assert (await client.get(f"{proxy.url}/_pichay/state")).status_code == 200
                await post(client, proxy.url, [{"role": "user", "content": "hi"}], {"x-claude-code-session-id": "B"})
                assert not task.done()                         # the fault is still waiting for its block
            finally:
                gate.set()
            assert (await task).json()["content"] == [{"type": "text", "text": "ok"}]
            assert up.bodies[-1]["messages"][-1]["content"][0]["content"] == BIG
        finally:
            await proxy.stop()
