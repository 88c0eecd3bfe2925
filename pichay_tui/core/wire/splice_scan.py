"""A byte scanner over JSON: where each value, object member and array element of the client's bytes starts and ends.

Why: splicing keeps the client's exact bytes, so it needs their positions, not a parse; a value whose parse is known
is found with one compare against its orjson form (what JS and httpx clients send) instead of a walk in Python.
"""
from __future__ import annotations

import re
from typing import Any

import orjson

from ..errors import SpliceError

_WS = b" \t\r\n"
_STRUCT = re.compile(rb'[\[\]{}"]')
_SCALAR_END = re.compile(rb"[,\]}\s]")


class _Spans(dict):
    """Array start -> (element spans, close) of one body (and ("{", object start) -> (members, close) for objects
    whose layout a parse already found), plus `prev`: the arrays of the previous body."""

    prev: tuple[bytes, dict] | None = None


def _known_elements(raw: bytes, i: int, cache: dict | None) -> list[tuple[int, int]]:
    """The leading elements of the array at raw[i] whose bytes equal the previous body's array at the same offset
    (an agent resends its history: a few memcmps instead of a walk through every message)."""
    prev = getattr(cache, "prev", None)
    hit = prev[1].get(i) if prev is not None else None
    if not hit or not hit[0]:
        return []
    praw, (elems, close) = prev[0], hit
    pv = memoryview(praw)
    # up to one byte past each element: a number's end is only known from the byte after it
    if raw.startswith(pv[i:close + 1], i):
        return list(elems)
    n = len(elems)
    lo, hi, step = 0, n, 0        # from the end first, where a history changes (a moved cache marker), then by halves
    while step < n:
        if raw.startswith(pv[i:elems[n - 1 - step][1] + 1], i):
            lo = n - step
            break
        hi, step = n - 1 - step, step * 2 or 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if raw.startswith(pv[i:elems[mid - 1][1] + 1], i):
            lo = mid
        else:
            hi = mid - 1
    return list(elems[:lo])


def _ws(raw: bytes, i: int) -> int:
    n = len(raw)
    while i < n and raw[i] in _WS:
        i += 1
    return i


def skip_string(raw: bytes, i: int) -> int:
    """End (exclusive) of the JSON string starting at raw[i] == '"'; memchr-fast on long strings."""
    j = i + 1
    while True:
        k = raw.find(b'"', j)
        if k < 0:
            raise SpliceError("unterminated string")
        b = k - 1
        while raw[b] == 92:          # backslash
            b -= 1
        if (k - 1 - b) % 2 == 0:
            return k + 1
        j = k + 1


def skip_value(raw: bytes, i: int) -> int:
    """End (exclusive) of the JSON value starting at raw[i] (no leading whitespace)."""
    c = raw[i]
    if c == 34:                      # "
        return skip_string(raw, i)
    if c in (123, 91):               # { [
        depth, j = 0, i
        while True:
            m = _STRUCT.search(raw, j)
            if m is None:
                raise SpliceError("unterminated container")
            k = m.start()
            ch = raw[k]
            if ch == 34:
                j = skip_string(raw, k)
                continue
            depth += 1 if ch in (123, 91) else -1
            j = k + 1
            if depth == 0:
                return j
    m = _SCALAR_END.search(raw, i)
    return m.start() if m else len(raw)


_NONE = object()
GUESS_MAX = 8_000_000    # bytes; above, spans are scanned: one orjson call on a huge message would hold the GIL


def value_end(raw: bytes, i: int, value: Any = _NONE, cache: dict | None = None) -> int:
    """End of the value at raw[i]; when its parsed `value` is known, first guess that the client wrote it as orjson
    would (compact JSON, as JS and httpx clients send) and check the guess with one compare, which is far cheaper
    than scanning it in Python. Arrays are guessed element by element (no single huge serialization holding the
    GIL; `cache` keeps their element spans for the caller)."""
    if isinstance(value, list) and raw[i] == 91:
        _, close = array_elements(raw, i, value, cache)
        return close + 1
    if value is not _NONE and isinstance(value, (dict, str)) and len(raw) <= GUESS_MAX:
        try:
            guess = orjson.dumps(value)
        except orjson.JSONEncodeError:
            guess = b""
        if guess and raw.startswith(guess, i):
            return i + len(guess)
    return skip_value(raw, i)


def object_members(raw: bytes, i: int, parsed: dict | None = None,
                   cache: dict | None = None) -> tuple[list[tuple[str, int, int]], int]:
    """(key, value start, value end) of each member of the object at raw[i] == '{', and the index of its '}'
    (`parsed`, the object as parsed, speeds this up)."""
    if raw[i] != 123:
        raise SpliceError("expected an object")
    if cache is not None and ("{", i) in cache:     # known from the parse of these bytes (incremental.py layout)
        return cache[("{", i)]
    out: list[tuple[str, int, int]] = []
    j = _ws(raw, i + 1)
    if raw[j] == 125:
        return out, j
    while True:
        ke = skip_string(raw, j)
        key = orjson.loads(raw[j:ke])
        j = _ws(raw, ke)
        if raw[j] != 58:             # :
            raise SpliceError("expected ':'")
        vs = _ws(raw, j + 1)
        ve = value_end(raw, vs, parsed.get(key, _NONE) if parsed is not None else _NONE, cache)
        out.append((key, vs, ve))
        j = _ws(raw, ve)
        if raw[j] == 125:
            return out, j
        if raw[j] != 44:
            raise SpliceError("expected ',' in object")
        j = _ws(raw, j + 1)


def resume_array(raw: bytes, i: int, last_end: int | None) -> tuple[int, bool]:
    """Where the next element of the array at raw[i] starts, after an element ending at `last_end` (None: before the
    first), and whether the array closes there instead (then the index is its ']')."""
    if last_end is None:
        j = _ws(raw, i + 1)
        return j, raw[j] == 93
    j = _ws(raw, last_end)
    if raw[j] == 93:
        return j, True
    if raw[j] != 44:
        raise SpliceError("expected ',' in array")
    return _ws(raw, j + 1), False


def array_elements(raw: bytes, i: int, parsed: list | None = None,
                   cache: dict | None = None) -> tuple[list[tuple[int, int]], int]:
    """(start, end) of each element of the array at raw[i] == '[', and the index of its ']' (`parsed`: as in
    object_members)."""
    if raw[i] != 91:
        raise SpliceError("expected an array")
    if cache is not None and i in cache:
        return cache[i]
    out = _known_elements(raw, i, cache)
    j, closed = resume_array(raw, i, out[-1][1] if out else None)
    if closed:
        if out:
            cache[i] = (out, j)      # type: ignore[index] - out is only non-empty with a cache
        return out, j
    n = len(parsed) if parsed is not None else 0
    while True:
        k = len(out)
        ve = value_end(raw, j, parsed[k] if k < n else _NONE, cache)
        out.append((j, ve))
        j = _ws(raw, ve)
        if raw[j] == 93:
            if cache is not None:
                cache[i] = (out, j)
            return out, j
        if raw[j] != 44:
            raise SpliceError("expected ',' in array")
        j = _ws(raw, j + 1)


def _ws_back(raw: bytes) -> int:
    end = len(raw)
    while end and raw[end - 1] in _WS:
        end -= 1
    return end
