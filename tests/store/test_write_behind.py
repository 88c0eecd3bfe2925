"""The store writes evicted content and checkpoints behind the event loop: queued blocks are readable at once, a
checkpoint never commits before the content queued before it, close() writes everything, a block is serialized once."""
from __future__ import annotations

import sqlite3
import threading

import orjson

from pichay_tui.store import sqlite as store_mod
from pichay_tui.store.sqlite import SQLiteStore


def _rows(path) -> dict[str, bytes]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT hash, block FROM content"))


def _engine_row(path) -> bytes | None:
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT data FROM engine").fetchone()
        return row[0] if row else None


def test_queued_blocks_are_readable_and_checkpoint_commits_after_them(tmp_path, monkeypatch):
    gate = threading.Event()
    real = store_mod.serialize
    monkeypatch.setattr(store_mod, "serialize", lambda b: (gate.wait(30), real(b))[1])
    store = SQLiteStore(tmp_path, cache_blocks=1)
    blocks = {f"h{i}": {"type": "tool_result", "content": f"text {i}"} for i in range(3)}
    for h, b in blocks.items():
        store.put(h, b)
    assert _rows(store.path) == {}                         # the writer is held: nothing written yet
    for h, b in blocks.items():                            # evicted from the 1-block cache, still readable
        assert store.get(h) == b
    store.save({"engine": {"x": 1}, "sessions": []})       # queued behind the blocks: returns at once
    assert _engine_row(store.path) is None and _rows(store.path) == {}
    gate.set()
    store.flush()
    assert {h: orjson.loads(v) for h, v in _rows(store.path).items()} == blocks
    assert orjson.loads(_engine_row(store.path)) == {"x": 1}
    store.close()


def test_a_block_is_serialized_once_and_close_writes_everything(tmp_path, monkeypatch):
    calls: list[str] = []
    real = store_mod.serialize
    monkeypatch.setattr(store_mod, "serialize", lambda b: (calls.append(b["content"]), real(b))[1])
    store = SQLiteStore(tmp_path, cache_blocks=2)
    for round_ in range(3):                                # re-put after the small cache forgot them
        for i in range(10):
            store.put(f"h{i}", {"content": f"c{i}"})
    store.close()
    assert sorted(calls) == sorted(f"c{i}" for i in range(10))
    assert len(_rows(store.path)) == 10
    again = SQLiteStore(tmp_path)                          # a later process: rows already there are not re-written
    again.put("h3", {"content": "c3"})
    again.close()
    assert calls.count("c3") == 1
