"""Facts remembered for parsed objects by identity: the same object only, bounded by size, and the engine's header
ids and session signatures come out the same whether they were remembered or computed."""
from __future__ import annotations

import orjson

from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.model import blocks
from pichay_tui.core.model.blocks import content_hash, is_cleared_by_client, message_fp, result_text, short_id
from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.model.identity_memo import IdentityMemo
from pichay_tui.core.wire.incremental import ParseCache


def test_a_fact_is_found_again_only_for_the_same_object():
    memo = IdentityMemo()
    a, b = {"x": 1}, {"x": 1}
    memo.put(a, "hash", "h-a", 10)
    assert memo.get(a, "hash") == "h-a"
    assert memo.get(b, "hash") is None             # equal, but another object
    assert memo.get(a, "other") is None
    calls = []
    assert memo.remember(b, "hash", lambda: (calls.append(1) or "h-b", 10)) == "h-b"
    assert memo.remember(b, "hash", lambda: (calls.append(1) or "again", 10)) == "h-b" and calls == [1]


def test_the_memo_stays_within_its_budget_least_recently_used_out():
    memo = IdentityMemo(budget=1000, max_entries=50)
    objs = [[i] for i in range(40)]
    for o in objs:
        memo.put(o, "f", len(o), 100)
        assert memo.size <= 1000
    assert len(memo) == 10 and memo.get(objs[-1], "f") == 1 and memo.get(objs[0], "f") is None
    memo.get(objs[30], "f")                         # used: kept over the ones added after it
    for o in objs[:5]:
        memo.put(o, "f", 0, 100)
    assert memo.get(objs[30], "f") is not None and memo.get(objs[31], "f") is None
    big = ["x" * 10]
    assert memo.put(big, "f", "v", 251) == "v" and memo.get(big, "f") is None   # over a quarter: not kept
    many = IdentityMemo(budget=10**9, max_entries=5)
    for o in objs:
        many.put(o, "f", 1, 1)
    assert len(many) == 5


def test_remembered_fingerprints_equal_computed_ones():
    msg = {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}
    first = message_fp(msg)
    assert message_fp(msg) == first == message_fp({"role": "user", "content": "hi"})
    assert blocks.MEMO.get(msg, "fp") == first


def _body(tools: int = 3, system="be brief") -> bytes:
    return orjson.dumps({"model": "m", "system": system,
                         "tools": [{"name": f"T{i}", "input_schema": {"type": "object", "n": i}} for i in range(tools)],
                         "messages": [{"role": "user", "content": "start"}, {"role": "assistant", "content": "ok"},
                                      {"role": "user", "content": "go"}]})


def test_header_pages_and_session_are_the_same_with_shared_or_fresh_objects():
    """One engine sees the incremental parse (the same header objects every request), the other a fresh parse each
    time with the memo emptied: page ids, header tokens and the session must agree."""
    for system in ("be brief", [{"type": "text", "text": "be brief"}, {"type": "text", "text": "and kind"}]):
        shared, fresh = Engine(PagerConfig()), Engine(PagerConfig())
        cache = ParseCache()
        raw = _body(system=system)
        for k in range(3):
            a = cache.loads(raw)
            blocks.MEMO.clear()
            b = orjson.loads(raw)
            ra = shared.handle_request(a, {}, now=100.0 + k)
            blocks.MEMO.clear()
            rb = fresh.handle_request(b, {}, now=100.0 + k)
            sa, sb = shared.sessions[ra.session_id], fresh.sessions[rb.session_id]
            assert ra.session_id == rb.session_id
            assert sa.tokens.header_ids == sb.tokens.header_ids and sa.header_tokens == sb.header_tokens
            ids = sa.tokens.header_ids
            sys_blocks = [{"type": "text", "text": system}] if isinstance(system, str) else system
            assert ids == [short_id(f"sys:{content_hash(b)}") for b in sys_blocks] + \
                [short_id(f"tool:{t['name']}:{content_hash(t)}") for t in a["tools"]]
        assert len(blocks.MEMO) > 0


def test_a_changed_tool_set_is_another_agent_even_when_remembered():
    eng = Engine(PagerConfig())
    cache = ParseCache()
    one = eng.handle_request(cache.loads(_body(3)), {}, now=1.0).session_id
    assert eng.handle_request(cache.loads(_body(3)), {}, now=2.0).session_id == one
    other = eng.handle_request(cache.loads(_body(2, system="other")), {}, now=3.0).session_id
    assert other != one


def test_cleared_marker_check_reads_only_the_start_and_agrees_with_the_whole_text():
    marker = blocks.CLEARED_MARKERS[0]
    cases = [marker, "  " + marker + " more", "x" + marker, [{"type": "text", "text": ""}, {"type": "text", "text": marker}],
             [{"type": "text", "text": " \n"}, {"type": "text", "text": marker[:5]}, {"type": "text", "text": marker[5:]}],
             [{"type": "image", "source": {}}, {"type": "text", "text": marker}], [{"type": "text", "text": marker + "!"}],
             [], [{"type": "text", "text": " " * 50}, {"type": "text", "text": marker}], None,
             [{"type": "text", "text": "y" * 100_000}, {"type": "text", "text": marker}]]
    for c in cases:
        assert is_cleared_by_client(c) == (blocks._CLEARED_RE.match(result_text(c)) is not None), c
    assert is_cleared_by_client(cases[3]) and not is_cleared_by_client(cases[2])
