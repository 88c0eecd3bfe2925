"""A restart between a tool call and its result keeps the result's tool, key and address (tool uses are saved)."""
from __future__ import annotations

import copy

from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.session.snapshot import dump_meta, load_session, page_to_dict
from pichay_tui.store.sqlite import PersistentEngine, SQLiteStore

from ..core.helpers import Clock


def open_engine(state_dir, clock):
    store = SQLiteStore(state_dir)
    eng = Engine(PagerConfig(), store=store, clock=clock)
    return eng, PersistentEngine(eng, store)


def split_call(conv: Conversation, path: str) -> dict:
    """The conversation with a Read whose tool_use is sent now and whose result is appended later (returned)."""
    conv.read(path)
    return conv.messages.pop()


def result_page(eng: Engine, sid: str, tool_use_id: str):
    return next(p for p in eng.sessions[sid].pages.values()
                if p.kind.value == "tool_result" and p.tool_use_id == tool_use_id)


def test_result_after_restart_keeps_tool_key_and_address(tmp_path):
    clock = Clock()
    conv = Conversation()
    conv.read("/src/early.py")
    result = split_call(conv, "/src/app.py")
    tid = result["content"][0]["tool_use_id"]
    eng, pe = open_engine(tmp_path, clock)
    r = eng.handle_request(conv.body(), {})
    pe.checkpoint()

    conv.messages.append(result)                        # the result arrives after the restart
    eng2, _ = open_engine(tmp_path, clock)
    r2 = eng2.handle_request(conv.body(), {})
    assert r2.session_id == r.session_id
    page = result_page(eng2, r2.session_id, tid)
    assert (page.tool, page.address) == ("Read", "/src/app.py") and page.key

    eng.handle_request(conv.body(), {})                 # the same as without a restart
    same = result_page(eng, r.session_id, tid)
    assert (page.tool, page.key, page.address) == (same.tool, same.key, same.address)
    # an answered call is saved by its path only (its result page holds the rest)
    meta = dump_meta(eng.sessions[r.session_id])
    assert all(args in ({}, {"file_path": "/src/early.py"}, {"file_path": "/src/app.py"})
               for _, args in meta["tool_uses_paths"].values())
    assert meta["tool_uses_open"] == {}


def test_checkpoint_without_tool_uses_still_loads(tmp_path):
    eng = Engine(PagerConfig(), clock=Clock())
    conv = Conversation()
    conv.read("/src/a.py")
    r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    meta = copy.deepcopy(dump_meta(s))
    del meta["tool_uses_open"], meta["tool_uses_paths"]    # a state dir written before tool uses were saved
    back = load_session(meta, [page_to_dict(p) for p in s.pages.values()], [], [], eng.config, eng.counter,
                        eng.bus.emit, eng.store)
    assert back.index.tool_uses == {} and back.index.msg_fp == s.index.msg_fp
    assert {p.id: (p.tool, p.key) for p in back.pages.values()} == {p.id: (p.tool, p.key) for p in s.pages.values()}
