"""A restarted engine on the same state dir resumes the same page states and serves handles from the store."""
from __future__ import annotations

import sqlite3

import orjson

from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.model.exchange import ResponseSummary
from pichay_tui.store.sqlite import PersistentEngine, SQLiteStore

from ..core.helpers import UNCHANGED_PREFIXES, Clock, Conversation, tool_result_texts


def open_engine(state_dir, clock):
    store = SQLiteStore(state_dir)
    eng = Engine(PagerConfig(), store=store, clock=clock)
    return eng, PersistentEngine(eng, store)


def scrub(state):
    return orjson.loads(orjson.dumps(state))


def test_restart_resumes_identical_state_and_next_request(tmp_path):
    clock = Clock()
    eng, pe = open_engine(tmp_path, clock)
    conv = Conversation()
    for i in range(9):
        conv.read(f"/f{i % 6}.py")
        r = eng.handle_request(conv.body(), {})
        eng.handle_response(r.session_id, ResponseSummary(usage={"input_tokens": 5, "cache_read_input_tokens":
                                                                 r.tokens_out}))
        pe.checkpoint()
    sid = r.session_id
    eng.command("page.pin", session=sid, page=next(p.id for p in eng.sessions[sid].pages.values()
                                                   if p.kind.value == "tool_result" and p.state.value == "resident"))
    pe.checkpoint()                                   # an accepted command persists at once
    pe.store.flush()                                  # (written behind; the control API waits for this)
    before = scrub(eng.state())
    assert before["sessions"][0]["stats"]["faults"] >= 1 and before["sessions"][0]["pending"]

    eng2, pe2 = open_engine(tmp_path, clock)          # "restart": a new process would do exactly this
    assert scrub(eng2.state()) == before
    # the next request behaves identically on both, and counters are not re-incremented
    notice = UNCHANGED_PREFIXES[0] + "."
    conv.call("Read", {"file_path": "/f3.py"}, notice)    # /f3.py was evicted before the restart
    body = conv.body()
    r1 = eng.handle_request(orjson.loads(orjson.dumps(body)), {}, now=5000.0)
    r2 = eng2.handle_request(orjson.loads(orjson.dumps(body)), {}, now=5000.0)
    assert orjson.dumps(r1.outbound) == orjson.dumps(r2.outbound)
    assert scrub(eng.state()) == scrub(eng2.state())
    # handles stay resolvable: the evicted content is in SQLite, served for the 'unchanged' notice
    assert tool_result_texts(r2.outbound)[-1].startswith("1\t")


def test_store_is_wal_and_holds_no_api_keys(tmp_path):
    clock = Clock()
    eng, pe = open_engine(tmp_path, clock)
    conv = Conversation()
    for i in range(6):
        conv.read(f"/f{i}.py")
        eng.handle_request(conv.body(), {"x-api-key": "sk-ant-secret-123", "authorization": "Bearer sk-secret-9"})
        pe.checkpoint()
    pe.store.flush()                                        # checkpoints are written behind: wait for them
    db = sqlite3.connect(tmp_path / "pichay.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT count(*) FROM content").fetchone()[0] >= 2
    raw = b"".join((tmp_path / n).read_bytes() for n in ("pichay.sqlite3", "pichay.sqlite3-wal")
                   if (tmp_path / n).exists())
    assert b"sk-ant-secret" not in raw and b"sk-secret" not in raw
