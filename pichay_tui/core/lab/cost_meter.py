"""The paging cost metric's online meter: keep + fault tokens per session while a replay runs, and the facts about
each tool-result page (first seen, next read, cleared, gone) that the clairvoyant bound needs.

The metric itself is derived in clairvoyant.py's docstring (and docs/policies.md).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .. import events as ev
from ..model.handles import handle_text
from ..model.pages import Kind, PageState
from ..model.tokens import TokenCounter

DEFAULT_FAULT_OVERHEAD = 200
_FULL = (PageState.RESIDENT, PageState.PINNED)
_HANDLE = (PageState.EVICTED, PageState.RELEASED, PageState.COLLAPSED)
INF = float("inf")


@dataclass(slots=True)
class PageFact:
    """What the recorded future says about one tool-result page (independent of the policy)."""

    session: str
    page: str
    a: int                      # request number in which it first arrived
    tokens: int                 # T(p)
    handle: int                 # H(p)
    key: str | None
    n: float = INF              # request of the next read of the same address
    c: float = INF              # request in which the client cleared it while resident
    d: float = INF              # request in which it left the history (set to last request + 1 at the end)
    arrived_cleared: bool = False


@dataclass(slots=True)
class Cost:
    keep: int = 0               # Σ T(p) over requests while shown in full (token-turns kept)
    handles: int = 0            # Σ H(p) over requests while a handle stands in
    faults: int = 0             # Σ (T + RT) over faults and restores
    n_faults: int = 0

    @property
    def total(self) -> int:
        return self.keep + self.handles + self.faults

    def add(self, other: "Cost") -> None:
        self.keep += other.keep
        self.handles += other.handles
        self.faults += other.faults
        self.n_faults += other.n_faults

    def to_dict(self) -> dict[str, int]:
        return {"keep": self.keep, "handles": self.handles, "faults": self.faults, "fault_events": self.n_faults,
                "total": self.total}


def handle_tokens(page: Any, counter: TokenCounter) -> int:
    """H(p): tokens of the plain evicted handle of this page, whatever its current state."""
    shadow = dataclasses.replace(page, state=PageState.EVICTED, summary=None)
    return counter.count(handle_text(shadow))


class CostMeter:
    """Subscribes to an engine and charges the metric above as requests go by; also gathers the page facts.

    Facts are only trustworthy from a run where nothing is evicted (policy "none"): client clears of pages we had
    evicted are invisible to the engine. `clairvoyant_from_replay` does exactly that.
    """

    def __init__(self, engine: Any, counter: TokenCounter | None = None,
                 fault_overhead: int = DEFAULT_FAULT_OVERHEAD) -> None:
        self.engine = engine
        self.counter = counter or engine.counter
        self.rt = fault_overhead
        self.sessions: dict[str, Cost] = {}
        self.results: dict[str, list[str]] = {}            # session -> tool result page ids, arrival order
        self.facts: dict[tuple[str, str], PageFact] = {}
        self._latest: dict[tuple[str, str], str] = {}      # (session, key) -> newest non-cleared result page
        self._handle: dict[tuple[str, str], int] = {}
        self._tokens: dict[tuple[str, str], int] = {}
        self._sums: dict[str, list[int]] = {}              # session -> [Σ T shown in full, Σ H shown as handles]
        self._dirty: set[str] = set()                      # sessions whose history was rewritten this request
        self.unsubscribe = engine.subscribe(self.on_event)

    def cost(self, sid: str) -> Cost:
        c = self.sessions.get(sid)
        if c is None:
            c = self.sessions[sid] = Cost()
        return c

    def total(self) -> Cost:
        out = Cost()
        for c in self.sessions.values():
            out.add(c)
        return out

    def _h(self, sid: str, pid: str) -> int:
        k = (sid, pid)
        h = self._handle.get(k)
        if h is None:
            h = self._handle[k] = handle_tokens(self.engine.sessions[sid].pages[pid], self.counter)
        return h

    def on_event(self, e: ev.Event) -> None:
        p = e.payload
        if isinstance(p, ev.PageAdded):
            if p.kind != Kind.TOOL_RESULT.value:
                return
            s = self.engine.sessions[e.session]
            pid = p.page
            page = s.pages[pid]
            k = (e.session, pid)
            self._tokens[k] = page.tokens
            self.results.setdefault(e.session, []).append(pid)
            fact = PageFact(e.session, pid, s.request_no, page.tokens, 0, page.key,
                            arrived_cleared=page.state is PageState.CLEARED)
            self.facts[k] = fact
            if page.key and not fact.arrived_cleared:
                prev = self._latest.get((e.session, page.key))
                if prev is not None:
                    pf = self.facts[(e.session, prev)]
                    if pf.n == INF:
                        pf.n = s.request_no
                self._latest[(e.session, page.key)] = pid
            if page.state in _FULL:
                self._sum(e.session)[0] += page.tokens
        elif isinstance(p, ev.RequestPaged):
            sums = self._recompute(e.session) if e.session in self._dirty else self._sum(e.session)
            c = self.cost(e.session)
            c.keep += sums[0]
            c.handles += sums[1]
        elif isinstance(p, ev.PageEvicted):
            k = (e.session, ev.given(p.page))
            if k in self._tokens:
                sums = self._sum(e.session)
                sums[0] -= self._tokens[k]
                sums[1] += self._h(*k)
        elif isinstance(p, ev.PageFaulted):
            self._charge(e.session, ev.given(p.page))
        elif isinstance(p, ev.PageRestored):
            k = (e.session, ev.given(p.page))
            if k in self._tokens:
                sums = self._sum(e.session)
                sums[0] += self._tokens[k]
                sums[1] -= self._h(*k)
            self._charge(e.session, ev.given(p.page))
        elif isinstance(p, ev.PageClearedByClient):
            k = (e.session, ev.given(p.page))
            f = self.facts.get(k)
            if f is not None:
                self._sum(e.session)[0] -= self._tokens[k]
                if f.c == INF:
                    f.c = self.engine.sessions[e.session].request_no
        elif isinstance(p, ev.ClientCleared):
            self._dirty.add(e.session)
            s = self.engine.sessions[e.session]
            for pid in self.results.get(e.session, ()):
                f = self.facts[(e.session, pid)]
                if f.d == INF and s.pages[pid].msg_index < 0:
                    f.d = s.request_no

    def _sum(self, sid: str) -> list[int]:
        sums = self._sums.get(sid)
        if sums is None:
            sums = self._sums[sid] = [0, 0]
        return sums

    def _recompute(self, sid: str) -> list[int]:
        """Full rescan after a client rewrite (pages may have left or re-appeared without their own events)."""
        self._dirty.discard(sid)
        s = self.engine.sessions[sid]
        full = handles = 0
        for pid in self.results.get(sid, ()):
            st = s.pages[pid].state
            if st in _FULL:
                full += self._tokens[(sid, pid)]
            elif st in _HANDLE:
                handles += self._h(sid, pid)
        self._sums[sid] = [full, handles]
        return self._sums[sid]

    def verify(self, sid: str) -> bool:
        """The incremental sums equal a full rescan (tests use this)."""
        before = list(self._sum(sid))
        return self._recompute(sid) == before

    def _charge(self, sid: str, pid: str | None) -> None:
        k = (sid, pid or "")
        if k not in self._tokens:
            return
        c = self.cost(sid)
        c.faults += self._tokens[k] + self.rt
        c.n_faults += 1

    def finish_facts(self) -> list[PageFact]:
        """The page facts with d closed at each session's last request + 1, and handle sizes filled in."""
        out = []
        for (sid, pid), f in self.facts.items():
            s = self.engine.sessions[sid]
            if f.d == INF:
                f.d = s.request_no + 1
            f.handle = self._h(sid, pid)
            out.append(f)
        return out
