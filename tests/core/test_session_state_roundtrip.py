"""Every session state group survives dump_meta -> load_session -> dump_meta unchanged (the checkpoint is complete)."""
from __future__ import annotations

import orjson

from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.model.exchange import ResponseSummary
from pichay_tui.core.session.snapshot import dump_meta, load_session, page_to_dict

from .helpers import Clock


def as_json(x):
    """What the store writes and reads back (its meta has integer keys, as SQLiteStore allows)."""
    return orjson.loads(orjson.dumps(x, option=orjson.OPT_NON_STR_KEYS))


def reload(eng: Engine, sid: str):
    s = eng.sessions[sid]
    meta, pages = as_json(dump_meta(s)), as_json([page_to_dict(p) for p in s.pages.values()])
    return s, load_session(meta, pages, [f.to_dict() for f in s.faults], list(s.sweeps), eng.config, eng.counter,
                           eng.bus.emit, eng.store)


def test_state_groups_round_trip_through_a_checkpoint():
    eng = Engine(PagerConfig(age_threshold=2, min_size=0, trim_tools=True), clock=Clock())
    conv = Conversation()
    for i in range(10):
        conv.read(f"/src/m{i % 4}.py") if i % 3 else conv.bash(f"make t{i}")
        r = eng.handle_request(conv.body(), {})
        eng.handle_response(r.session_id, ResponseSummary(usage={"input_tokens": 7,
                                                                 "cache_read_input_tokens": r.tokens_out}))
    sid = r.session_id
    eng.command("session.compact", session=sid)
    conv.read("/src/m1.py")
    r = eng.handle_request(conv.body(), {})
    s, back = reload(eng, sid)
    assert s.stats.evictions and s.index.tool_uses and s.usage.last_usage and s.tokens.header_ids
    assert as_json(dump_meta(back)) == as_json(dump_meta(s))
    # what is rebuilt rather than saved comes out the same too
    assert (back.tokens.resident_tokens, back.tokens.evicted_tokens, back.tokens.cleared_tokens) == \
        (s.tokens.resident_tokens, s.tokens.evicted_tokens, s.tokens.cleared_tokens)
    assert back.tokens.fen.total == s.tokens.fen.total and back.index.msg_pages == s.index.msg_pages
    assert set(back.out.subs) == set(s.out.subs) and back.out.overrides == s.out.overrides
    assert (back.trim.on, back.trim.decided, back.usage.calibration.factor) == \
        (s.trim.on, s.trim.decided, s.usage.calibration.factor)
