"""Outbound bytes made by splicing only the values the pager changed into the client's original request bytes.

Why: re-serializing a parsed body alters what we never meant to change (a 30-digit integer becomes a float, duplicate
keys collapse, escapes and spacing change). Here every value that is equal to the client's keeps its exact bytes;
only changed values are serialized, and only down to the level where they differ.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterator

import orjson
from ..errors import SpliceError

_WS = b" \t\r\n"
_STRUCT = re.compile(rb'[\[\]{}"]')
_SCALAR_END = re.compile(rb"[,\]}\s]")


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


class Memo:
    """Rendered bytes of changed array elements from the previous splice, reused when the same outbound element
    (the pager caches rebuilt messages) meets the same client bytes again: steady-state cost is one compare per
    changed message instead of a walk through it. Keep one per session and pass it to every splice.

    Bodies up to EXACT_MAX are kept until the next splice and compared byte for byte (a memcmp, ~25x cheaper than
    hashing here); bigger ones are remembered by a sha1 of each element, so a memo never holds a huge body."""

    EXACT_MAX = 2_000_000    # bytes

    def __init__(self) -> None:
        self._prev: dict[int, tuple[Any, tuple[bytes, int, int] | None, bytes | None, list[bytes]]] = {}
        self._next: dict[int, tuple[Any, tuple[bytes, int, int] | None, bytes | None, list[bytes]]] = {}
        self._spans: tuple[bytes, dict] | None = None    # the previous body and the arrays found in it

    def spans(self) -> dict:
        """A span cache for the next splice that knows the previous body's arrays (see array_elements)."""
        out = _Spans()
        out.prev = self._spans
        return out

    def render(self, raw: bytes, old: Any, new: Any, s: int, e: int) -> list[bytes]:
        exact = len(raw) <= self.EXACT_MAX
        digest = None if exact else hashlib.sha1(memoryview(raw)[s:e]).digest()   # the fastest hashlib hash here
        hit = self._prev.get(id(new))
        if hit is not None and hit[0] is new and _same(hit[1], hit[2], raw, s, e, digest):
            out = hit[3]
        else:
            out = _render(raw, old, new, s, e)
        # holding `new` keeps its id from being reused
        self._next[id(new)] = (new, (raw, s, e) if exact else None, digest, out)
        return out

    def turn(self, raw: bytes | None = None, spans: dict | None = None) -> None:
        """Forget entries the last splice did not use; keep that splice's body and array spans when small."""
        self._prev, self._next = self._next, {}
        self._spans = (raw, dict(spans)) if raw is not None and spans and len(raw) <= self.EXACT_MAX else None


class _Spans(dict):
    """Array start -> (element spans, close) of one body, plus `prev`: the same for the previous body."""

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


def _same(src: tuple[bytes, int, int] | None, prev_digest: bytes | None, raw: bytes, s: int, e: int,
          digest: bytes | None) -> bool:
    """Are raw[s:e] the client bytes a memo entry was rendered from (exactly, or by digest)?"""
    if digest is not None:
        return prev_digest == digest
    if src is None:
        return False
    praw, ps, pe = src
    return pe - ps == e - s and raw.startswith(memoryview(praw)[ps:pe], s)


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


def array_elements(raw: bytes, i: int, parsed: list | None = None,
                   cache: dict | None = None) -> tuple[list[tuple[int, int]], int]:
    """(start, end) of each element of the array at raw[i] == '[', and the index of its ']' (`parsed`: as in
    object_members)."""
    if raw[i] != 91:
        raise SpliceError("expected an array")
    if cache is not None and i in cache:
        return cache[i]
    out = _known_elements(raw, i, cache)
    if out:
        j = _ws(raw, out[-1][1])
        if raw[j] == 93:
            cache[i] = (out, j)      # type: ignore[index] - out is only non-empty with a cache
            return out, j
        if raw[j] != 44:
            raise SpliceError("expected ',' in array")
        j = _ws(raw, j + 1)
    else:
        j = _ws(raw, i + 1)
        if raw[j] == 93:
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


def _dump(value: Any) -> bytes:
    return orjson.dumps(value)


def _diff(raw: bytes, old: Any, new: Any, vs: int, ve: int, edits: list[tuple[int, int, bytes | list[bytes]]],
          memo: "Memo | None" = None, cache: dict | None = None) -> None:
    if new is old:
        return
    if type(new) is type(old) and not isinstance(new, (dict, list)) and new == old:
        return
    if isinstance(old, dict) and isinstance(new, dict) and raw[vs] == 123:
        if new == old:
            return
        members, close = object_members(raw, vs, old, cache)
        last = {k: (s, e) for k, s, e in members}     # a duplicate key: the parser kept the last one
        old_keys, new_keys = list(old), list(new)
        if new_keys[:len(old_keys)] != old_keys or set(last) != set(old_keys):
            edits.append((vs, ve, _dump(new)))        # keys removed or reordered: this value is ours now
            return
        for k in old_keys:
            s, e = last[k]
            _diff(raw, old[k], new[k], s, e, edits, memo, cache)
        extra = b"".join(b"," + _dump(k) + b":" + _dump(new[k]) for k in new_keys[len(old_keys):])
        if extra:
            edits.append((close, close, extra if members else extra[1:]))
        return
    if isinstance(old, list) and isinstance(new, list) and raw[vs] == 91:
        if new == old:
            return
        elems, _ = array_elements(raw, vs, old, cache)
        if len(elems) != len(old):
            raise SpliceError("array length differs from the parsed body")
        if len(new) == len(old):
            for (s, e), o, n in zip(elems, old, new):
                if n is o:
                    continue
                if memo is not None and isinstance(n, dict):
                    edits.append((s, e, memo.render(raw, o, n, s, e)))
                else:
                    _diff(raw, o, n, s, e, edits)
            return
        pieces: list[bytes] = [b"["]
        for k, element in enumerate(_rebuild(raw, old, new, elems)):
            if k:
                pieces.append(b",")
            _add(pieces, element)
        pieces.append(b"]")
        edits.append((vs, ve, pieces))
        return
    edits.append((vs, ve, _dump(new)))


def _rebuild(raw: bytes, old: list, new: list, elems: list[tuple[int, int]]) -> list[bytes | list[bytes]]:
    """Elements kept, dropped or added (a collapse, a splice, a note): each new element is rendered against the
    client's element it came from, found by identity of the element or of one of its content blocks, else by
    equality; an element with no source is ours and serialized."""
    by_id = {id(o): k for k, o in enumerate(old)}
    owner: dict[int, int] = {}
    for k, o in enumerate(old):
        content = o.get("content") if isinstance(o, dict) else None
        if isinstance(content, list):
            for b in content:
                owner.setdefault(id(b), k)
    pieces, cursor = [], 0
    for n in new:
        k = by_id.get(id(n))
        if k is None and isinstance(n, dict) and isinstance(n.get("content"), list):
            k = next((owner[id(b)] for b in n["content"] if id(b) in owner), None)
        if k is None:
            k = next((j for j in range(cursor, min(len(old), cursor + 64)) if old[j] == n), None)
        if k is None:
            pieces.append(_dump(n))
            continue
        cursor = k + 1
        s, e = elems[k]
        pieces.append(_render(raw, old[k], n, s, e))
    return pieces


def _render(raw: bytes, old: Any, new: Any, vs: int, ve: int) -> list[bytes]:
    """The bytes of `new`, keeping raw[vs:ve] (the bytes of `old`) wherever they agree."""
    edits: list[tuple[int, int, bytes | list[bytes]]] = []
    _diff(raw, old, new, vs, ve, edits)
    return _apply(raw, edits, vs, ve)


COPY_PIECE = 1_000_000   # bytes: longer spans of the client's bytes are copied in pieces (see _apply)


def _raw_span(raw: bytes, a: int, b: int, out: list[bytes]) -> None:
    """raw[a:b] appended as slices of at most COPY_PIECE bytes: one slice of 50 MB is a copy that holds the GIL."""
    if b - a <= COPY_PIECE:
        out.append(raw[a:b])
        return
    out.extend(raw[i:min(i + COPY_PIECE, b)] for i in range(a, b, COPY_PIECE))


def _add(out: list[bytes], piece: bytes | list[bytes]) -> None:
    if isinstance(piece, list):
        out.extend(piece)
    else:
        out.append(piece)


def _apply(raw: bytes, edits: list[tuple[int, int, bytes | list[bytes]]], start: int, end: int) -> list[bytes]:
    """raw[start:end] with the edits applied, as pieces joined once by `splice` (bytes.join of pieces drops the GIL
    for a big result; building it by concatenation on every level would copy a huge message under the GIL)."""
    edits.sort(key=lambda x: x[0])
    out: list[bytes] = []
    pos = start
    for s, e, b in edits:
        if s < pos:
            raise SpliceError("overlapping edits")
        _raw_span(raw, pos, s, out)
        _add(out, b)
        pos = e
    _raw_span(raw, pos, end, out)
    return out


def splice(raw: bytes, old: Any, new: Any, memo: Memo | None = None) -> bytes:
    """The bytes of `new`, keeping `raw` (which parses to `old`) wherever `new` equals `old`.

    Raises SpliceError (or orjson.JSONEncodeError for a value we cannot serialize) when it cannot; callers then
    fail open to the client's bytes.
    """
    start = _ws(raw, 0)
    end = _ws_back(raw)
    edits: list[tuple[int, int, bytes | list[bytes]]] = []
    spans = memo.spans() if memo is not None else {}
    ok = False
    try:
        _diff(raw, old, new, start, end, edits, memo, spans)
        ok = True
    finally:
        if memo is not None:
            memo.turn(raw if ok else None, spans)
    return raw if not edits else b"".join(_apply(raw, edits, 0, len(raw)))
