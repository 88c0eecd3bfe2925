"""The view model behind every screen: sessions, page rows, gauge, faults, pins and page history.

Sans-io and Textual-free. Live and replay both `feed()` the engine's events into it; it remembers what changed so a
view can update incrementally, and builds display rows from the engine's sessions on demand.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from .. import events as ev
from ..commands.registry import pending_by_page
from .filterexpr import Filter, compile_filter
from ..lab.spend import SpendMeter
from .health import FaultRows, pin_rows, thrash_warning
from .rows import (HIDDEN_KINDS, OUT_STATES, SORT_KEYS, FaultRow, Gauge, PageRow, PinRow, SessionRow,  # noqa: F401
                   page_row)
from .turndiff import TurnLog


class ViewModel:
    """Feed it events; ask it for rows. `take_changes()` returns what to redraw since the last call."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.turns = TurnLog()
        self.observed_usage_is_ours = True        # False in a replay under another config than the recording's
        self.spend = SpendMeter()
        self.history: dict[tuple[str, str], deque] = {}
        self.selected: str | None = None
        self.filter: Filter = compile_filter("")
        self.sort_key, self.sort_reverse, self.show_all = "order", False, False
        self._rows: dict[str, dict[str, PageRow]] = {}
        self._pending_rows: dict[str, set[str]] = {}
        self._hidden_stale: dict[str, bool] = {}
        self._dirty_pages: dict[str, set[str]] = {}
        self._turn_seen: dict[str, int] = {}
        self._dirty_sessions: set[str] = set()
        self._faults = FaultRows()
        self.events_seen = 0
        self.kind_counts: dict[str, int] = {}
        self.last_event: ev.Event | None = None
        self._upstream: dict[str, tuple[int, str]] = {}    # session -> (failed responses, current failure or "")

    def feed(self, e: ev.Event) -> None:
        """Take one event: counts, turn log, spend, and the pages it mentions (whatever its kind) become dirty."""
        self.events_seen += 1
        self.kind_counts[e.kind] = self.kind_counts.get(e.kind, 0) + 1
        self.last_event = e
        self.turns.feed(e)
        self.spend.feed(e)
        if not e.session:
            return
        self._dirty_sessions.add(e.session)
        payload = e.payload
        if isinstance(payload, ev.ResponseCompleted):
            self._note_response(e.session, payload)
        if self.selected is None and isinstance(payload, ev.SessionStarted):
            self.selected = e.session
        pids = {p for p in (e.data.get("page"), e.data.get("new_page"), (e.data.get("args") or {}).get("page"))
                if p}
        pids.update(e.data.get("changed_pages") or ())
        for pid in pids:
            self._dirty_pages.setdefault(e.session, set()).add(pid)
            h = self.history.setdefault((e.session, pid), deque(maxlen=64))
            h.append(e)

    def _note_response(self, sid: str, done: ev.ResponseCompleted) -> None:
        status = ev.given(done.status) or 200
        n, _ = self._upstream.get(sid, (0, ""))
        if status >= 400 and status != 499:       # 499: the client left, the upstream did nothing wrong
            self._upstream[sid] = (n + 1, f"{status} {ev.given(done.error) or ''}".strip())
        elif status < 400 and n:
            self._upstream[sid] = (n, "")

    def upstream_problem(self) -> str:
        """`s1a2b3c: 502 upstream unreachable: …` for the sessions whose latest response the upstream failed."""
        bad = [(sid, err) for sid, (_, err) in self._upstream.items() if err and sid in self.engine.sessions]
        if not bad:
            return ""
        sid, err = bad[-1]
        return f"{sid}: {err}" + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else "")

    def reset(self, engine: Any) -> None:
        """Point at another engine (a replay jump restored a snapshot): drop every per-page cache and history."""
        self.engine = engine
        self._rows.clear()
        self._turn_seen.clear()
        self._pending_rows.clear()
        self._hidden_stale.clear()
        self._dirty_pages.clear()
        self._faults = FaultRows()
        self.history.clear()
        self.turns = TurnLog()
        self.spend = SpendMeter(observed_is_ours=self.observed_usage_is_ours)
        if self.selected not in engine.sessions:
            self.selected = next(iter(engine.sessions), None)

    def take_changes(self) -> set[str]:
        """Sessions that changed since the last call (page rows are diffed by `all_rows`)."""
        sessions, self._dirty_sessions = self._dirty_sessions, set()
        return sessions

    # ---- sessions ----
    def session(self, sid: str | None = None) -> Any:
        return self.engine.sessions.get(sid or self.selected or "")

    def sessions(self) -> list[SessionRow]:
        out = []
        for s in self.engine.sessions.values():
            st = s.stats
            out.append(SessionRow(s.id, s.client, s.parent or "", s.turn, st.requests, s.zone,
                                  s.header_tokens + s.resident_tokens, s.evicted_tokens, st.evictions + st.gc,
                                  st.faults, st.faults / st.evictions if st.evictions else 0.0,
                                  sum(1 for p in s.resident_results.values() if p.pinned), len(s.pending),
                                  *self._upstream.get(s.id, (0, ""))))
        return out

    # ---- page table ----
    def set_filter(self, text: str) -> None:
        self.filter = compile_filter(text)       # raises FilterError; the old filter stays on error

    def _sync_rows(self, s: Any, hidden: bool) -> dict[str, PageRow]:
        """Bring the session's row cache up to date: changed pages, new pages, and every row when the turn advanced
        (ages change). Rows of hidden kinds (calls, text) are refreshed lazily, only when `hidden` asks for them."""
        cache = self._rows.setdefault(s.id, {})
        pend = pending_by_page(s)
        was_pending = self._pending_rows.get(s.id, set())
        self._pending_rows[s.id] = set(pend)
        dirty = self._dirty_pages.pop(s.id, set()) | set(pend) | was_pending
        order, pages, row = s.order, s.pages, page_row
        if len(cache) > len(order):                  # pages were dropped (client rewrite/compact): start over
            cache.clear()
        if self._turn_seen.get(s.id) != s.turn:
            self._turn_seen[s.id] = s.turn
            for i, pid in enumerate(order):
                if hidden or pid in dirty or pid not in cache or pages[pid].kind._value_ not in HIDDEN_KINDS:
                    cache[pid] = row(s, pid, i, pend)
            self._hidden_stale[s.id] = not hidden
            return cache
        if len(cache) != len(order):
            for i, pid in enumerate(order):
                if pid not in cache:
                    cache[pid] = row(s, pid, i, pend)
        for pid in dirty:
            old = cache.get(pid)
            if old is not None and pid in pages:
                cache[pid] = row(s, pid, old.order, pend)
        if hidden and self._hidden_stale.get(s.id):
            for pid, old in cache.items():
                if old.kind in HIDDEN_KINDS:
                    cache[pid] = row(s, pid, old.order, pend)
            self._hidden_stale[s.id] = False
        return cache

    def all_rows(self, sid: str | None = None) -> dict[str, PageRow]:
        """Every page row of a session (page order), rebuilt only where pages changed."""
        s = self.session(sid)
        return {} if s is None else self._sync_rows(s, True)

    def row(self, pid: str, sid: str | None = None) -> PageRow | None:
        """One page's current row (cheap: does not refresh hidden-kind rows other than this one)."""
        s = self.session(sid)
        if s is None or pid not in s.pages:
            return None
        cache = self._sync_rows(s, self.show_all)
        r = cache.get(pid)
        if r is not None and self._hidden_stale.get(s.id) and r.kind in HIDDEN_KINDS:
            r = page_row(s, pid, r.order, pending_by_page(s))
        return r

    def check(self, command: str, row: PageRow | None) -> tuple[bool, str]:
        """(applies now, why not) for an operator command on the selected session and row: the engine's answer."""
        s = self.session()
        page = s.pages.get(row.id) if s is not None and row is not None else None
        return self.engine.check(command, s, page, row.pending if row is not None else None)

    def page_count(self, sid: str | None = None) -> int:
        s = self.session(sid)
        return len(s.order) if s is not None else 0

    def rows(self, sid: str | None = None) -> list[PageRow]:
        """The page table: filtered, sorted, hidden kinds dropped unless show_all."""
        s = self.session(sid)
        if s is None:
            return []
        cache = self._sync_rows(s, self.show_all)
        rows = list(cache.values()) if self.show_all else [r for r in cache.values() if r.kind not in HIDDEN_KINDS]
        if self.filter.text.strip():
            rows = [r for r in rows if self.filter(r.as_dict())]
        key = self.sort_key if self.sort_key in SORT_KEYS else "order"
        if key != "order" or self.sort_reverse:
            rows.sort(key=lambda r: (getattr(r, key), r.order), reverse=self.sort_reverse)
        return rows

    def cycle_sort(self) -> str:
        i = SORT_KEYS.index(self.sort_key) if self.sort_key in SORT_KEYS else 0
        return self.set_sort(SORT_KEYS[(i + 1) % len(SORT_KEYS)])

    def set_sort(self, key: str) -> str:
        """Sort by `key` (biggest first for sizes and counts); the current key again reverses the order."""
        if key not in SORT_KEYS:
            raise ValueError(f"unknown sort key {key!r}")
        if key == self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_key, self.sort_reverse = key, key in ("tokens", "age", "faults", "bytes")
        return self.sort_key

    # ---- panels ----
    def gauge(self, sid: str | None = None) -> Gauge | None:
        s = self.session(sid)
        if s is None:
            return None
        z = self.engine.config.zones
        est = getattr(self.engine, "_estimate", None)
        tokens = est(s) if est else s.last_out_tokens
        nxt = z.next_threshold(tokens)
        spend = self.spend.summary(s.id)
        return Gauge(z.window, tokens, s.header_tokens + s.resident_tokens, s.evicted_tokens, s.header_tokens,
                     s.zone, (("advisory", z.advisory), ("involuntary", z.involuntary), ("aggressive", z.aggressive)),
                     nxt[0] if nxt else "", nxt[1] if nxt else 0,
                     spend["spend_usd"] if spend else None, bool(spend and spend["observed"]),
                     spend["saving_usd"] if spend else None)

    def rewrite_cost(self, request_no: int, sid: str | None = None) -> tuple[int, bool, float] | None:
        """(tokens re-written, beyond the lookback window, USD) of that request's sweep; None when nothing was."""
        s = self.spend.sessions.get(sid or self.selected or "")
        return s.per_request_rewrite.get(request_no) if s else None

    def faults(self, sid: str | None = None) -> list[FaultRow]:
        """The session's faults, oldest first (rows built once per fault)."""
        s = self.session(sid)
        return [] if s is None else self._faults.rows(s)

    def thrash_warning(self, sid: str | None = None) -> str:
        """Non-empty when pages keep cycling (see health.thrash_warning)."""
        s = self.session(sid)
        return "" if s is None else thrash_warning(s, self.faults(sid), self.engine.config.age_threshold)

    def pins(self, sid: str | None = None) -> list[PinRow]:
        s = self.session(sid)
        return [] if s is None else pin_rows(s)

    def page_history(self, pid: str, sid: str | None = None) -> list[ev.Event]:
        return list(self.history.get((sid or self.selected or "", pid), ()))

    def live(self, now: float, within: float = 300.0) -> list[str]:
        """Sessions that made a request in the last `within` seconds."""
        return [s.id for s in self.engine.sessions.values() if now - s.last_ts <= within]
