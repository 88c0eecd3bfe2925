"""Parsing request bodies: orjson, with the stdlib for valid JSON orjson refuses, and piece by piece for worker threads
(member by member and message by message, so no single C call holds the GIL for a whole 50 MB body)."""
from __future__ import annotations

import json
from typing import Any, Iterator

import orjson

from ..errors import SpliceError
from .splice_scan import _ws, _ws_back, array_elements, object_members, skip_value


def loads(raw: bytes) -> Any:
    """Parse a request body: orjson, else the stdlib for valid JSON orjson refuses (1e400); raises
    orjson.JSONDecodeError when it is not JSON at all."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as first:
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise first from None


def loads_in_pieces(raw: bytes) -> Any:
    """Parse a top-level object member by member and its `messages` message by message, so that in a worker thread
    no single C call holds the GIL for the whole body (orjson takes ~0.1 s per 50 MB); same result as `loads`."""
    try:
        start = _ws(raw, 0)
        if start >= len(raw) or raw[start] != 123 or _ws_back(raw) != skip_value(raw, start):
            return loads(raw)
        members, _ = object_members(raw, start)
    except (SpliceError, IndexError, orjson.JSONDecodeError):
        return loads(raw)                    # not JSON: let the full parser give its error
    try:
        return {key: _loads_span(raw, s, e) for key, s, e in members}
    except (SpliceError, IndexError):
        return loads(raw)                    # malformed inside: the full parser gives its error


PARSE_PIECE = 1_000_000   # bytes: a longer value is parsed part by part (orjson holds the GIL ~2 ms per MB)


def _loads_span(raw: bytes, s: int, e: int) -> Any:
    """The value raw[s:e], parsed container by container and a long string piece by piece."""
    if e - s <= PARSE_PIECE:
        return loads(raw[s:e])
    c = raw[s]
    if c == 123:
        members, _ = object_members(raw, s)
        return {k: _loads_span(raw, a, b) for k, a, b in members}     # a repeated key: last value, first place
    if c == 91:
        elems, _ = array_elements(raw, s)
        return [_loads_span(raw, a, b) for a, b in elems]
    if c == 34:
        return "".join(loads(b'"' + raw[a:b] + b'"') for a, b in _string_pieces(raw, s + 1, e - 1))
    return loads(raw[s:e])


def _string_pieces(raw: bytes, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cuts of a JSON string's inner bytes that each parse on their own: never inside a UTF-8 sequence, an escape,
    or between the two escapes of a surrogate pair."""
    pos = start
    while pos < end:
        cut = min(pos + PARSE_PIECE, end)
        if cut < end:
            while cut > pos and raw[cut] & 0xC0 == 0x80:          # a UTF-8 continuation byte
                cut -= 1
            for j in range(max(pos, cut - 11), cut):               # an escape (`\x`, `\uXXXX`, a pair) spanning cut
                if raw[j] == 92 and _unescaped(raw, pos, j):
                    n = 6 if raw[j + 1] == 117 else 2
                    if raw[j + 1] == 117 and raw[j + 2:j + 4].upper() in (b"D8", b"D9", b"DA", b"DB"):
                        n = 12
                    if j + n > cut:
                        cut = j
                        break
            if cut <= pos:
                raise SpliceError("no place to cut a string")
        yield pos, cut
        pos = cut


def _unescaped(raw: bytes, lo: int, j: int) -> bool:
    """Whether the backslash at raw[j] starts an escape (an even run of backslashes precedes it)."""
    b = j
    while b > lo and raw[b - 1] == 92:
        b -= 1
    return (j - b) % 2 == 0
