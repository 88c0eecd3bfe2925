"""loads_in_pieces parses big values container by container and long strings piece by piece (so no single orjson call
holds the GIL for a whole 50 MB block); whatever the cuts, the result equals one full parse."""
from __future__ import annotations

import json
import random

import orjson
import pytest

from pichay_tui.core.wire import parse as splice
from pichay_tui.core.wire.parse import loads, loads_in_pieces

ALPHABET = ['a', ' ', '"', '\\', '\n', '\t', '\x01', 'é', '€', '😀', '/', 'x']


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60)))


def _body(rng: random.Random, writer) -> bytes:
    msgs = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{i}", "content": _text(rng),
                                          "n": rng.choice([1, 1.5, 123456789012345678901234567890, None, True])},
                                         {"type": "text", "text": _text(rng)}]} for i in range(rng.randint(1, 4))]
    return writer({"model": "m", "system": _text(rng), "messages": msgs, "metadata": {"k": [_text(rng), {}]}})


WRITERS = [lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode(),   # compact, as orjson
           lambda o: json.dumps(o).encode(),                                   # \\uXXXX escapes, surrogate pairs
           lambda o: json.dumps(o, ensure_ascii=False, indent=1).encode()]     # raw UTF-8, whitespace


@pytest.mark.parametrize("piece", [1, 2, 3, 5, 7, 13, 64])
def test_any_cut_size_gives_the_full_parse(monkeypatch, piece):
    monkeypatch.setattr(splice, "PARSE_PIECE", piece)
    rng = random.Random(piece)
    for _ in range(150):
        raw = _body(rng, rng.choice(WRITERS))
        assert loads_in_pieces(raw) == loads(raw), raw


def test_escapes_at_every_cut_position(monkeypatch):
    monkeypatch.setattr(splice, "PARSE_PIECE", 8)
    for pad in range(16):
        for esc in ('\\\\', '\\"', '\\u00e9', '\\ud83d\\ude00', 'é', '😀', '\\\\\\"', '\\ud800x'):
            raw = b'{"messages": [{"content": "' + b"a" * pad + esc.encode() * 3 + b'bb"}], "x": "' + \
                  b"y" * pad + esc.encode() + b'"}'
            assert loads_in_pieces(raw) == loads(raw), raw


def test_malformed_big_values_give_the_full_parsers_error(monkeypatch):
    monkeypatch.setattr(splice, "PARSE_PIECE", 4)
    for bad in (b'{"messages": [{"content": "abc\x01def"}]}', b'{"messages": [{"a": 1,,}]}',
                b'{"messages": [{"a": "\\q long enough"}]}', b'{"m": [1, 2, 3x]}'):
        with pytest.raises(orjson.JSONDecodeError):
            loads(bad)
        with pytest.raises(orjson.JSONDecodeError):
            loads_in_pieces(bad)
