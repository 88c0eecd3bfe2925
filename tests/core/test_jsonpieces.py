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
