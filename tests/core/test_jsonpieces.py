"""JSON serialized a piece at a time (worker threads: no GIL hold for a whole big block) is byte for byte orjson's,
so hashes and sizes computed that way equal the ones computed in one call."""
from __future__ import annotations

import random

import orjson
import pytest

from pichay_tui.core.wire import jsonpieces
from pichay_tui.core.model.blocks import block_bytes, content_hash, message_fp, page_hash
from pichay_tui.core.wire.jsonpieces import dump_pieces, dumps_in_pieces

ALPHABET = 'ab"\\\n\t\x01é€😀 /'


@pytest.mark.parametrize("option", [None, orjson.OPT_SORT_KEYS, orjson.OPT_NON_STR_KEYS])
def test_pieces_are_orjson_byte_for_byte(monkeypatch, option):
    monkeypatch.setattr(jsonpieces, "PIECE", 7)
    rng = random.Random(7)
    for _ in range(200):
        s = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))
        obj = {"z": s, "type": "tool_result", "content": [{"type": "text", "text": s}, s[:3]], "n": 12,
               "k": [s, None, 1.5, {"b": s, "a": s * 2}]}
        assert dumps_in_pieces(obj, option) == orjson.dumps(obj, option=option)
        assert len(list(dump_pieces(obj, option))) > 1 or len(s) <= 7
    assert dumps_in_pieces("x" * 30) == orjson.dumps("x" * 30)
    with pytest.raises(orjson.JSONEncodeError):
        dumps_in_pieces({"t": "a" * 10 + "\ud800"})              # a lone surrogate is refused, as orjson does


def test_big_hashes_and_sizes_equal_the_one_call_ones(monkeypatch):
    monkeypatch.setattr(jsonpieces, "PIECE", 5)
    rng = random.Random(3)
    for _ in range(100):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 50)))
        blk = {"type": "tool_result", "tool_use_id": "t1", "content": text, "cache_control": {"type": "ephemeral"}}
        msg = {"role": "user", "content": [blk, {"type": "text", "text": text}]}
        assert page_hash(blk, big=True) == page_hash(blk)
        assert block_bytes(blk, big=True) == block_bytes(blk)
        assert message_fp(msg, big=True) == message_fp(msg)
        assert content_hash(msg, big=True) == content_hash(msg)


def test_a_value_the_pager_adds_is_serialized_in_pieces_only_when_it_holds_a_long_string(monkeypatch):
    """splice serializes what it adds with dump_value: orjson's bytes either way, in pieces (a list, joined later
    with the GIL released) when a string is longer than PIECE anywhere in it."""
    from pichay_tui.core.wire.jsonpieces import dump_value
    from pichay_tui.core.wire.parse import loads
    from pichay_tui.core.wire.splice import splice

    monkeypatch.setattr(jsonpieces, "PIECE", 50)
    small = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x" * 50}]}
    assert dump_value(small) == orjson.dumps(small)                     # bytes: nothing long
    deep = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                                         "content": [{"type": "text", "text": "é\"" * 40}]}]}
    out = dump_value(deep)
    assert isinstance(out, list) and len(out) > 1 and b"".join(out) == orjson.dumps(deep)
    raw = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    body = loads(raw)
    new = {**body, "messages": body["messages"] + [{"role": "assistant", "content": "a"}, deep]}
    assert splice(raw, body, new) == orjson.dumps(new)                  # added messages, in pieces, same bytes
    replaced = {**body, "messages": [{"role": "user", "content": "é\"" * 40}]}
    assert splice(raw, body, replaced) == orjson.dumps(replaced)
