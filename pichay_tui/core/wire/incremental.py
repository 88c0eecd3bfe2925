"""Request bodies parsed incrementally: the leading messages (and top-level members) whose bytes equal a recent
body's are taken over from its parse, and only the rest is parsed.

Why: an agent resends its whole history every turn, so parsing the body costs ~2x what anything else in the proxy
does; a few memcmps find what is unchanged. Same result as `parse.loads` (the test compares them on random edits).
Pieces are parsed by orjson only: any piece orjson refuses sends the whole body to `parse.loads`, whose stdlib
fallback parses numbers differently (a 30-digit integer stays an int). Reused objects are shared between requests:
sound because nothing downstream changes a parsed body in place (tests/core/test_incremental_parse.py runs
handle_request over real captures and compares), and the engine's caches keyed by id() hold their objects.
"""
from __future__ import annotations

from typing import Any

import orjson

from ..errors import SpliceError
from .parse import loads
from .splice_scan import _ws, _ws_back, array_elements, object_members, resume_array, skip_string, skip_value, value_end

_AFTER = frozenset(b" \t\r\n,]}")     # bytes that may follow a complete value (a number's end needs one)


class _State:
    """One parsed body: its bytes, (start, end, value) of each top-level member, and its messages' spans and ']'
    (relative to the array's '[': taken over as they are when the array moved)."""

    __slots__ = ("raw", "members", "msgs_at", "spans", "items", "close", "same")

    def __init__(self, raw: bytes, members: dict[str, tuple[int, int, Any]], msgs_at: int,
                 spans: list[tuple[int, int]], items: list, close: int) -> None:
        self.raw, self.members, self.msgs_at = raw, members, msgs_at
        self.spans, self.items, self.close = spans, items, close
        self.same: tuple[bytes, int] | None = None    # (the body the messages were taken over from, how many),
        # kept until layout() hands it over: at most one older body per kept state

    def layout(self) -> dict:
        """Where the body's top-level members and messages are, in the splice's span-cache form (splice_scan.py),
        and ("same", messages start) -> (body, n): its first n messages, and the bytes between, are that body's."""
        raw, at = self.raw, self.msgs_at
        out: dict = {("{", _ws(raw, 0)): ([(k, a, b) for k, (a, b, _) in self.members.items()], _ws_back(raw) - 1)}
        if at >= 0:
            out[at] = ([(at + a, at + b) for a, b in self.spans], at + self.close)
            if self.same is not None:
                out[("same", at)] = self.same
                self.same = None       # handed over: the state does not keep an older body alive
        return out


class ParseCache:
    """`loads` for request bodies that remembers the last few parsed bodies (one per conversation, most recent
    first). Bodies over MAX_BODY are parsed in full and not kept (the proxy parses those in a worker thread)."""

    KEEP = 8
    MAX_BODY = 1_000_000     # bytes

    def __init__(self) -> None:
        self._states: list[_State] = []
        self.reused = 0      # messages taken over from an earlier parse (for tests and profiling)

    def loads(self, raw: bytes) -> Any:
        """The parsed body, as `parse.loads(raw)` gives it (raises orjson.JSONDecodeError the same way)."""
        if len(raw) > self.MAX_BODY:
            return loads(raw)
        prev = self._candidate(raw)
        if prev is not None:
            try:
                value, state, n = _parse_from(raw, prev)
            except (SpliceError, IndexError, ValueError, RecursionError):
                state = None                     # anything unexpected: the full parse decides
            if state is not None:
                self.reused += n
                state.same = (prev.raw, n) if n else None
                self._keep(state, prev)
                return value
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return loads(raw)                    # valid JSON orjson refuses (1e400): parsed whole, never kept
        self._keep(_index(raw, value), None)
        return value

    def layout(self, raw: bytes) -> dict | None:
        """The spans found while parsing this very `raw` (its top-level members, its messages), so a splice of it
        need not scan and compare its ~all bytes again; None when it is not kept. Take it right after `loads`: a
        later body may replace it."""
        for st in self._states:
            if st.raw is raw:
                return st.layout()
        return None

    def _candidate(self, raw: bytes) -> _State | None:
        """The most recent body whose bytes up to the end of its first message are this body's too."""
        for st in self._states:
            if st.spans and len(st.items) == len(st.spans) and \
                    raw.startswith(memoryview(st.raw)[:st.msgs_at + st.spans[0][1]]):   # (a list changed in place: no)
                return st
        return None

    def _keep(self, state: _State | None, replaces: _State | None) -> None:
        if replaces is not None:
            self._states.remove(replaces)
        if state is not None:
            self._states.insert(0, state)
            del self._states[self.KEEP:]


def _index(raw: bytes, value: Any) -> _State | None:
    """The spans of a fully parsed body, for the next one (None when it has no messages array to reuse)."""
    if not isinstance(value, dict) or not isinstance(value.get("messages"), list) or not value["messages"]:
        return None
    try:
        start = _ws(raw, 0)
        cache: dict = {}
        members, _ = object_members(raw, start, value, cache)
    except (SpliceError, IndexError, ValueError, RecursionError):
        return None
    keys = [k for k, _, _ in members]
    if len(set(keys)) != len(keys):
        return None                              # a repeated key: not worth the subtleties
    spans_of = {k: (s, e) for k, s, e in members}
    s, _ = spans_of["messages"]
    spans, close = cache[s] if s in cache else array_elements(raw, s, value["messages"])
    if len(spans) != len(value["messages"]):
        return None
    return _State(raw, {k: (a, b, value[k]) for k, (a, b) in spans_of.items()}, s,
                  [(a - s, b - s) for a, b in spans], list(value["messages"]), close - s)


def _same_value(raw: bytes, at: int, old: memoryview) -> bool:
    """Are the bytes at raw[at] the complete value `old` (its bytes, then a byte no value continues with)?"""
    end = at + len(old)
    return raw.startswith(old, at) and end < len(raw) and raw[end] in _AFTER


def _parse_from(raw: bytes, prev: _State) -> tuple[dict, _State, int]:
    """Parse `raw` taking over from `prev` every member and leading message whose bytes are unchanged (and say how
    many messages were taken over)."""
    pv = memoryview(prev.raw)
    j = _ws(raw, 0)
    if raw[j] != 123:
        raise SpliceError("expected an object")
    out: dict[str, Any] = {}
    spans_of: dict[str, tuple[int, int, Any]] = {}
    msgs: tuple[int, list, list, int] | None = None
    reused = 0
    j = _ws(raw, j + 1)
    if raw[j] == 125:
        raise SpliceError("empty object")
    while True:
        ke = skip_string(raw, j)
        key = orjson.loads(raw[j:ke])
        if key in out:
            raise SpliceError("repeated key")    # the full parse handles it
        j = _ws(raw, ke)
        if raw[j] != 58:
            raise SpliceError("expected ':'")
        vs = _ws(raw, j + 1)
        old = prev.members.get(key)
        if old is not None and _same_value(raw, vs, pv[old[0]:old[1]]):
            ve, value = vs + old[1] - old[0], old[2]
            if key == "messages":
                msgs = (vs, prev.spans, prev.items, prev.close)
                value = list(prev.items)         # a new list: only its elements are shared
                reused = len(value)
        elif key == "messages" and raw[vs] == 91 and prev.msgs_at >= 0:
            msgs = _messages(raw, vs, prev, pv)
            value, ve = list(msgs[2]), vs + msgs[3] + 1    # the state's list is never handed out
            reused = msgs[4]
            msgs = msgs[:4]
        else:
            ve = skip_value(raw, vs)
            value = orjson.loads(raw[vs:ve])
        out[key] = value
        spans_of[key] = (vs, ve, value)
        j = _ws(raw, ve)
        if raw[j] == 125:
            break
        if raw[j] != 44:
            raise SpliceError("expected ',' in object")
        j = _ws(raw, j + 1)
    if _ws(raw, j + 1) != len(raw):
        raise SpliceError("bytes after the body")
    if msgs is None or not isinstance(out.get("messages"), list):
        raise SpliceError("no messages array")
    return out, _State(raw, spans_of, msgs[0], msgs[1], msgs[2], msgs[3]), reused


def _messages(raw: bytes, vs: int, prev: _State, pv: memoryview) -> tuple[int, list, list, int, int]:
    """(start, element spans and ']' relative to start, elements, how many were taken over) of the messages array at
    raw[vs]."""
    base = prev.msgs_at
    spans = prev.spans

    def same(k: int) -> bool:                    # are the first k messages unchanged?
        return raw.startswith(pv[base:base + spans[k - 1][1]], vs)

    # the longest run of leading messages with the same bytes; searched from the end, where a history changes (new
    # messages, a cache marker moved from the last one), then by halves: a few compares of the body's prefix
    n = len(spans)
    lo, hi, step = 0, n, 0
    while True:
        k = max(n - step, 0)
        if k == 0 or same(k):
            lo = k
            break
        hi, step = k - 1, step * 2 or 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if same(mid):
            lo = mid
        else:
            hi = mid - 1
    if lo and raw[vs + prev.spans[lo - 1][1]] not in _AFTER:
        lo -= 1                                  # a number's end is only known from the byte after it
    spans = prev.spans[:lo]
    items = prev.items[:lo]
    j, closed = resume_array(raw, vs, vs + spans[-1][1] if spans else None)
    if closed:
        return vs, spans, items, j - vs, lo
    # guess: what follows the array did not change, so its ']' is as far from the end as before
    close = len(raw) - (len(prev.raw) - prev.close - base)
    rest = None
    if j < close < len(raw) and raw[close] == 93:
        try:
            rest = orjson.loads(b"[" + raw[j:close] + b"]")
        except orjson.JSONDecodeError:
            rest = None
    if rest:                                     # values j..close then ']': the array ends at close
        for v in rest:
            ve = value_end(raw, j, v)
            spans.append((j - vs, ve - vs))
            j = _ws(raw, ve)
            if raw[j] == 44:
                j = _ws(raw, j + 1)
        if j != close:
            raise SpliceError("element spans do not end at the array's end")
        return vs, spans, items + rest, close - vs, lo
    while True:                                  # scan the new elements one by one
        ve = skip_value(raw, j)
        spans.append((j - vs, ve - vs))
        items.append(orjson.loads(raw[j:ve]))
        j = _ws(raw, ve)
        if raw[j] == 93:
            return vs, spans, items, j - vs, lo
        if raw[j] != 44:
            raise SpliceError("expected ',' in array")
        j = _ws(raw, j + 1)
