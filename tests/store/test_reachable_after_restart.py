"""The reachability invariant survives a restart: after any sequence and a checkpoint, a new engine on the same
--state-dir (what a restart after kill -9 does) answers memory_fault on every page id its handles name with the
original content, read back from SQLite."""
from __future__ import annotations

import tempfile

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine
from pichay_tui.store.sqlite import PersistentEngine, SQLiteStore

from ..core.helpers import Clock, Conversation
from ..core.test_reachability import Originals, action, apply, check_reachable, handle_ids


def open_engine(state_dir, clock, **kw):
    store = SQLiteStore(state_dir)
    eng = Engine(PagerConfig(**kw), store=store, clock=clock)
    return eng, PersistentEngine(eng, store), store


@settings(max_examples=int(__import__("os").environ.get("I9_EXAMPLES", "20")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=3, max_size=20), st.integers(1, 3))
def test_handles_resolve_from_sqlite_after_a_restart(actions, tau):
    clock, conv, orig = Clock(), Conversation(), Originals()
    with tempfile.TemporaryDirectory() as state_dir:
        eng, pe, store = open_engine(state_dir, clock, age_threshold=tau, min_size=0)
        res = None
        for act in actions:
            apply(conv, eng, act)
            if len(conv.messages) < 2:
                continue
            orig.observe(conv)
            res = eng.handle_request(conv.body(), {})
            pe.checkpoint()
        if res is None:
            return
        pe.checkpoint()
        store.close()
        eng2, _, store2 = open_engine(state_dir, clock, age_threshold=tau, min_size=0)   # nothing shared in memory
        try:
            again = eng2.handle_request(orjson.loads(orjson.dumps(conv.body())), {})      # the client's retry
            assert handle_ids(again.outbound) == handle_ids(res.outbound)
            check_reachable(eng2, again.session_id, again.outbound, orig, conv)
            s = eng2.sessions[again.session_id]
            for pid in sorted(handle_ids(again.outbound)):
                got = eng2.answer_phantom_calls(s.id, [{"id": "t", "name": "memory_fault",
                                                        "input": {"paths": [pid]}}])[0]
                assert not got.get("is_error") and got["content"] in orig.acceptable(s, s.pages[pid], conv), pid
        finally:
            store2.close()
