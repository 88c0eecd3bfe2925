"""Serialize JSON without holding the GIL for long: big strings are encoded a piece at a time (see dumps_in_pieces)."""
from __future__ import annotations

import os
from typing import Any

import orjson

PIECE = 1 << 20        # characters: a longer string is serialized in pieces, so no one call holds the GIL for long


def dumps_in_pieces(obj: Any, option: int | None = None) -> bytes:
    """orjson.dumps(obj, option=option), byte for byte; strings over PIECE characters are encoded piece by piece.

    Why: orjson holds the GIL for a whole call (~100 ms on a 50 MB string), which stalls the event loop even from a
    worker thread; between pieces the loop gets its turn. JSON escaping is per character, so pieces concatenate.
    """
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
        return shape
    quoted = orjson.dumps(mark)[:-1]                      # '"' + the escaped mark, as it appears in `shape`
    out: list[bytes] = []
    rest = shape
    for i, text in enumerate(big):
        head, rest = rest.split(quoted + str(i).encode() + b'"', 1)
        out.append(head + b'"')
        out.extend(orjson.dumps(text[j:j + PIECE])[1:-1] for j in range(0, len(text), PIECE))
        out.append(b'"')
    out.append(rest)
    return b"".join(out)
