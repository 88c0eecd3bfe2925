"""Outbound bytes made by splicing only the values the pager changed into the client's original request bytes.

Why: re-serializing a parsed body alters what we never meant to change (a 30-digit integer becomes a float, duplicate
keys collapse, escapes and spacing change). Here every value that is equal to the client's keeps its exact bytes;
only changed values are serialized, and only down to the level where they differ.
"""
from __future__ import annotations

import hashlib
from typing import Any

import orjson

from ..errors import SpliceError
from .jsonpieces import dump_value as _dump_new
from .splice_prefix import ArrayOut, build, reusable
from .splice_scan import _Spans, _ws, _ws_back, array_elements, object_members


class Memo:
    """Rendered bytes of changed array elements from the previous splice, reused when the same outbound element
    (the pager caches rebuilt messages) meets the same client bytes again: steady-state cost is one compare per
    changed message instead of a walk through it. Keep one per session and pass it to every splice.

    Bodies up to EXACT_MAX are kept until the next splice and compared byte for byte (a memcmp, ~25x cheaper than
    hashing here); bigger ones are remembered by a sha1 of each element, so a memo never holds a huge body."""

    EXACT_MAX = 2_000_000    # bytes

    def __init__(self) -> None:
        # id(new) -> (new, (raw, start, end) or None, digest or None, rendered, old)
        self._prev: dict[int, tuple[Any, tuple[bytes, int, int] | None, bytes | None, bytes | list[bytes], Any]] = {}
        self._next: dict[int, tuple[Any, tuple[bytes, int, int] | None, bytes | None, bytes | list[bytes], Any]] = {}
        self._spans: tuple[bytes, dict] | None = None    # the previous body and the arrays found in it
        self.array: ArrayOut | None = None         # the last splice's message array (splice_prefix.py)
        self._array_next: ArrayOut | None = None

    def spans(self) -> dict:
        """A span cache for the next splice that knows the previous body's arrays (see array_elements)."""
        out = _Spans()
        out.prev = self._spans
        return out

    def render(self, raw: bytes, old: Any, new: Any, s: int, e: int) -> bytes | list[bytes]:
        hit = self._prev.get(id(new))
        exact = len(raw) <= self.EXACT_MAX
        if hit is not None and hit[0] is new and hit[4] is old:
            # the same parsed element as last time: the incremental parse hands out an element again only when its
            # bytes are unchanged (core/wire/incremental.py), so no compare is needed. The entry now points at this
            # body (a memo never keeps an older body alive)
            self._next[id(new)] = (new, (raw, s, e) if exact else None, None if exact else hit[2], hit[3], old)
            return hit[3]
        digest = None if exact else hashlib.sha1(memoryview(raw)[s:e]).digest()   # the fastest hashlib hash here
        if hit is not None and hit[0] is new and _same(hit[1], hit[2], raw, s, e, digest):
            out = hit[3]
        else:
            out = _render(raw, old, new, s, e)
        # holding `new` and `old` keeps their ids from being reused
        self._next[id(new)] = (new, (raw, s, e) if exact else None, digest, out, old)
        return out

    def messages(self, raw: bytes, old: list, new: list, vs: int, ve: int, elems: list[tuple[int, int]],
                 same: tuple[bytes, int]) -> bytes:
        """The spliced bytes of the message array at raw[vs:ve], its unchanged start taken from the last splice.

        Its renderings are found again by identity only (the parse shares unchanged elements), so they hold no
        client bytes; a miss falls back on `render`, which also finds equal bytes."""
        prev = self.array

        def render(i: int) -> bytes:
            s, e = elems[i]
            out = self.render(raw, old[i], new[i], s, e) if isinstance(new[i], dict) else \
                _render(raw, old[i], new[i], s, e)
            return out if isinstance(out, bytes) else b"".join(out)

        self._array_next = build(raw, old, new, vs, ve, elems, prev, reusable(prev, old, new, same), render)
        return self._array_next.out

    def turn(self, raw: bytes | None = None, spans: dict | None = None) -> None:
        """Forget entries the last splice did not use; keep that splice's body and array spans when small."""
        self._prev, self._next = self._next, {}
        self.array, self._array_next = (self._array_next if raw is not None else None), None
        self._spans = (raw, dict(spans)) if raw is not None and spans and len(raw) <= self.EXACT_MAX else None


def _same(src: tuple[bytes, int, int] | None, prev_digest: bytes | None, raw: bytes, s: int, e: int,
          digest: bytes | None) -> bool:
    """Are raw[s:e] the client bytes a memo entry was rendered from (exactly, or by digest)?"""
    if digest is not None:
        return prev_digest == digest
    if src is None:
        return False
    praw, ps, pe = src
    return pe - ps == e - s and raw.startswith(memoryview(praw)[ps:pe], s)


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
            edits.append((vs, ve, _dump_new(new)))    # keys removed or reordered: this value is ours now
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
            same = cache.get(("same", vs)) if memo is not None and cache is not None else None
            if same is not None:        # a resent history (ParseCache.layout): one edit, its start reused
                edits.append((vs, ve, memo.messages(raw, old, new, vs, ve, elems, same)))   # type: ignore[union-attr]
                return
            for (s, e), o, n in zip(elems, old, new):
                if n is o:
                    continue
                if memo is not None and isinstance(n, dict):
                    edits.append((s, e, memo.render(raw, o, n, s, e)))
                else:
                    _diff(raw, o, n, s, e, edits)
            return
        if memo is not None and ve - vs <= COPY_PIECE:    # the tool list with ours added: the same every request
            edits.append((vs, ve, memo.render(raw, old, new, vs, ve)))
            return
        pieces: list[bytes] = [b"["]
        for k, element in enumerate(_rebuild(raw, old, new, elems)):
            if k:
                pieces.append(b",")
            _add(pieces, element)
        pieces.append(b"]")
        edits.append((vs, ve, b"".join(pieces) if ve - vs <= COPY_PIECE else pieces))
        return
    edits.append((vs, ve, _dump_new(new)))


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
            pieces.append(_dump_new(n))
            continue
        cursor = k + 1
        s, e = elems[k]
        pieces.append(_render(raw, old[k], n, s, e))
    return pieces


def _render(raw: bytes, old: Any, new: Any, vs: int, ve: int) -> bytes | list[bytes]:
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


def _apply(raw: bytes, edits: list[tuple[int, int, bytes | list[bytes]]], start: int,
           end: int) -> bytes | list[bytes]:
    """raw[start:end] with the edits applied: bytes for a span up to COPY_PIECE, else pieces joined once by `splice`
    (bytes.join of pieces drops the GIL for a big result; joining on every level would copy a huge message under it)."""
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
    return b"".join(out) if end - start <= COPY_PIECE else out    # small: one short join now, fewer pieces later


def splice(raw: bytes, old: Any, new: Any, memo: Memo | None = None, layout: dict | None = None) -> bytes:
    """The bytes of `new`, keeping `raw` (which parses to `old`) wherever `new` equals `old`; `layout`: spans of
    `raw` its parse already found (ParseCache.layout), trusted as they are.

    Raises SpliceError (or orjson.JSONEncodeError for a value we cannot serialize) when it cannot; callers then
    fail open to the client's bytes.
    """
    start = _ws(raw, 0)
    end = _ws_back(raw)
    edits: list[tuple[int, int, bytes | list[bytes]]] = []
    spans = memo.spans() if memo is not None else _Spans()
    if layout:
        spans.update(layout)
    ok = False
    try:
        _diff(raw, old, new, start, end, edits, memo, spans)
        ok = True
    finally:
        if memo is not None:
            memo.turn(raw if ok else None, spans)
    if not edits:
        return raw
    out = _apply(raw, edits, 0, len(raw))
    return out if isinstance(out, bytes) else b"".join(out)
