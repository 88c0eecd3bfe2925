"""JSON serialization a piece at a time, so a worker thread never holds the GIL for a whole 50 MB block.

Why: one orjson.dumps of a 50 MB string holds the GIL ~40 ms (seen from the proxy's event loop as a stall, even
though it runs in a worker thread). Here strings over PIECE characters are encoded in slices, and the loop gets its
turn between them. JSON escaping is per character, so the pieces concatenate to exactly orjson's output.
"""
from __future__ import annotations

import os
import re
from typing import Any, Iterator

import orjson

PIECE = 1 << 20        # characters


def dump_pieces(obj: Any, option: int | None = None) -> Iterator[bytes]:
    """Consecutive pieces of orjson.dumps(obj, option=option); b"".join of them is byte for byte the same."""
    big: list[str] = []
    mark = "\x00pichay-piece-" + os.urandom(8).hex() + "-"

    def skeleton(o: Any, depth: int = 0) -> Any:
        if isinstance(o, str):
            if len(o) <= PIECE:
                return o
            big.append(o)
            return f"{mark}{len(big) - 1}"
        if depth > 64:               # deeper than any real body: left whole (orjson refuses past 255 anyway)
            return o
        if isinstance(o, dict):
            return {k: skeleton(v, depth + 1) for k, v in o.items()}
        if isinstance(o, list):
            return [skeleton(v, depth + 1) for v in o]
        return o

    shape = orjson.dumps(skeleton(obj), option=option)
    if not big:
        yield shape
        return
    quoted = orjson.dumps(mark)[:-1]          # '"' + the escaped mark, as it appears in `shape`
    pos = 0
    for m in re.finditer(re.escape(quoted) + rb'(\d+)"', shape):   # in output order (sorted keys reorder them)
        yield shape[pos:m.start()] + b'"'
        text = big[int(m.group(1))]
        for j in range(0, len(text), PIECE):
            yield orjson.dumps(text[j:j + PIECE])[1:-1]
        yield b'"'
        pos = m.end()
    yield shape[pos:]


def dumps_in_pieces(obj: Any, option: int | None = None) -> bytes:
    """orjson.dumps(obj, option=option), byte for byte, built from dump_pieces."""
    return b"".join(dump_pieces(obj, option))


def dump_value(value: Any) -> bytes | list[bytes]:
    """orjson.dumps(value), or its pieces (a list) when it holds a string over PIECE characters: a value the pager
    adds (a restored 50 MB result) is serialized without one GIL hold of ~26 ms, even in a worker thread."""
    return list(dump_pieces(value)) if _long_string_in(value) else orjson.dumps(value)


def _long_string_in(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return len(value) > PIECE
    if depth < 8 and isinstance(value, (dict, list)):
        return any(_long_string_in(v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return False
