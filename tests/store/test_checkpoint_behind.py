"""With --state-dir, the per-request checkpoint is written by the store's writer thread: the event loop never waits for
it (nor for the evicted content it follows), a kill -9 still leaves a store whose evicted pages all have their content,
and a checkpoint whose commit fails is committed with the next one."""
from __future__ import annotations

import asyncio
import signal
import sqlite3
import threading

import httpx
import orjson

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.core.model.blocks import short_id
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.upstream import create_upstream_app, run_upstream
from pichay_tui.store import sqlite as store_mod
from pichay_tui.store.sqlite import SQLiteStore

from ..core.helpers import Conversation
from .test_kill9_restart import send, start_serve

TOOLS = [{"name": "Read", "description": "read a file", "input_schema": {"type": "object"}}]
OUT = ("evicted", "released", "collapsed")


def body(msgs: list[dict]) -> bytes:
    return orjson.dumps({"model": "m", "max_tokens": 5, "tools": TOOLS, "messages": msgs})


def history(text: str) -> list[dict]:
    return [{"role": "user", "content": "start"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_big", "name": "Read",
                                               "input": {"file_path": "/big"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_big", "content": text}]},
            {"role": "assistant", "content": "ok"}, {"role": "user", "content": "go on"}]


async def test_the_loop_answers_while_the_writer_stores_an_eviction_and_its_checkpoint(tmp_path, monkeypatch):
    gate, held = threading.Event(), threading.Event()
    real = store_mod.serialize

    def slow(block):                 # the writer thread storing evicted content: held until the gate opens
        if "big file" in str(block.get("content", ""))[:20]:
            held.set()
            gate.wait(20)
        return real(block)

    monkeypatch.setattr(store_mod, "serialize", slow)
    opener = threading.Timer(15, gate.set)       # never hang: a loop that waits on the writer would block until then
    async with run_upstream(create_upstream_app()) as url, httpx.AsyncClient(timeout=60) as client:
        proxy = ProxyServer(ProxyOptions(port=0, upstream=url, mode="page", state_dir=str(tmp_path)))
        await proxy.start()
        try:
            msgs = history("big file " + "x" * 200_000)
            h = {"x-claude-code-session-id": "A"}
            assert (await client.post(f"{proxy.url}/v1/messages", content=body(msgs), headers=h)).status_code == 200
            s = next(iter(proxy.engine.sessions.values()))
            if not s.pages[short_id("tr:tu_big")].state.is_out:
                proxy.engine.command("page.evict", page=short_id("tr:tu_big"))
            msgs += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "next"}]
            opener.start()
            evicting = asyncio.ensure_future(client.post(f"{proxy.url}/v1/messages", content=body(msgs), headers=h))
            assert await asyncio.to_thread(held.wait, 10)              # the writer is storing the evicted block
            for _ in range(3):                                          # ... and the loop answers meanwhile
                assert (await client.get(f"{proxy.url}/_pichay/state?pages=0")).status_code == 200
                other = await client.post(f"{proxy.url}/v1/messages", content=body([{"role": "user",
                                          "content": "hi"}]), headers={"x-claude-code-session-id": "B"})
                assert other.status_code == 200
            assert (await evicting).status_code == 200                 # the evicting request itself too
            assert not gate.is_set(), "the loop waited for the store's writer"
        finally:
            gate.set()
            opener.cancel()
            await proxy.stop()
    with sqlite3.connect(tmp_path / "pichay.sqlite3") as db:           # then everything reached the store
        pages = {pid: orjson.loads(d) for pid, d in db.execute("SELECT id, data FROM pages")}
        assert pages[short_id("tr:tu_big")]["state"] == "evicted"
        assert db.execute("SELECT 1 FROM content WHERE hash = ?",
                          (pages[short_id("tr:tu_big")]["content_hash"],)).fetchone()


def out_pages_without_content(db_path) -> list[str]:
    with sqlite3.connect(db_path) as db:
        held = {h for (h,) in db.execute("SELECT hash FROM content")}
        rows = [orjson.loads(d) for (d,) in db.execute("SELECT data FROM pages")]
    return [p["id"] for p in rows if p["state"] in OUT and p["content_hash"] not in held]


async def test_kill9_with_checkpoints_written_behind_leaves_every_evicted_page_with_its_content(tmp_path):
    state_dir = tmp_path / "state"
    app = create_upstream_app(script="coding", workdir=tmp_path)
    conv = Conversation("kill9-behind")
    async with run_upstream(app) as up, httpx.AsyncClient(timeout=30) as client:
        for round_ in range(3):                         # kill -9 right after an answer, restart, go on
            proc, url, _ = await start_serve(up, state_dir)
            try:
                for i in range(6):
                    conv.read(f"/src/r{round_}f{i % 4}.py")
                    await send(client, url, conv)
                evicted = sum(s["stats"]["evictions"] for s in (await client.get(f"{url}/_pichay/state")).json()
                              ["sessions"])
            finally:
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
            assert out_pages_without_content(state_dir / "pichay.sqlite3") == []
        assert evicted >= 4
        proc, url, _ = await start_serve(up, state_dir)  # and the store still opens and serves
        try:
            await send(client, url, conv)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 20) == 0


def test_a_failed_checkpoint_commit_is_committed_with_the_next(tmp_path, monkeypatch):
    real, calls = store_mod.commit, []

    def flaky(db, batch, content):
        calls.append(len(batch))
        if len(calls) == 1:
            raise sqlite3.OperationalError("disk I/O error (injected)")
        return real(db, batch, content)

    monkeypatch.setattr(store_mod, "commit", flaky)
    store = SQLiteStore(tmp_path)
    page = {"id": "p1", "state": "resident"}
    store.save({"engine": {"n": 1}, "sessions": [{"meta": {"id": "s1"}, "pages": [page], "faults": [],
                                                  "sweeps": []}]})
    store.flush()
    assert isinstance(store.write_error, sqlite3.OperationalError)
    store.save({"engine": {"n": 2}, "sessions": [{"meta": {"id": "s2"}, "pages": [], "faults": [], "sweeps": []}]})
    store.close()
    assert calls == [1, 2]                               # the failed one went again, first
    again = SQLiteStore(tmp_path)
    data = again.load()
    again.close()
    assert data["engine"] == {"n": 2}
    assert {s["meta"]["id"]: s["pages"] for s in data["sessions"]} == {"s1": [page], "s2": []}


def test_the_session_index_is_written_when_it_grows_and_survives_a_restart(tmp_path, monkeypatch):
    from pichay_tui.core.engine.facade import Engine
    from pichay_tui.store import checkpoint_rows
    from pichay_tui.store.persistent import PersistentEngine

    dumped: list[int] = []
    real = checkpoint_rows.orjson.dumps
    monkeypatch.setattr(checkpoint_rows.orjson, "dumps", lambda o, *a, **k: (
        dumped.append(len(o["by_fp"])) if isinstance(o, dict) and "by_fp" in o else None, real(o, *a, **k))[1])
    store = SQLiteStore(tmp_path)
    eng = Engine(store=store)
    eng.on_change = PersistentEngine(eng, store).checkpoint
    convs = [Conversation(f"c{i}") for i in range(4)]
    for conv in convs:                                   # four sessions: the index grows four times
        conv.read("/a.py")
        eng.handle_request(conv.body(), {"x-claude-code-session-id": conv.session})
    for conv in convs:                                   # their next requests: the index is not serialized again
        conv.read("/b.py")
        eng.handle_request(conv.body(), {"x-claude-code-session-id": conv.session})
    assert dumped == [1, 2, 3, 4]
    before = dict(eng.directory.by_fp)
    store.close()
    again = SQLiteStore(tmp_path)
    eng2 = Engine(store=again)
    PersistentEngine(eng2, again)
    assert eng2.directory.by_fp == before
    for conv in convs:                                   # each conversation still finds its session
        conv.read("/c.py")
        r = eng2.handle_request(conv.body(), {"x-claude-code-session-id": conv.session})
        assert before[next(k for k in before if before[k] == r.session_id)] == r.session_id
    assert len(eng2.sessions) == 4
    again.close()
