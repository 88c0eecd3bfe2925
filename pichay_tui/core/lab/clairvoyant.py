"""The paging cost metric and the clairvoyant bound, the offline keep + fault cost minimum (meter: cost_meter.py).

Not Belady's MIN. MIN minimises misses for a fixed capacity; here there is no capacity, keeping costs tokens on
every call and a fault costs one round trip plus the page, once (the paper's inverted cost model).

The metric (identical for every policy, computed per session and summed; docs/policies.md has the derivation)
--------------------------------------------------------------------------------------------------------------
Over the tool-result pages of a session (everything else is the same under every policy), with
  T(p)  the page's tokens when it first arrived,
  H(p)  the tokens of its handle (the "[Paged out: …]" text; always the plain evicted form, whatever the reason),
  RT    the round-trip overhead of a fault in tokens (`fault_overhead`, default 200),
the cost of a replay is
  keep    Σ over requests r of the session, Σ over its tool results p:  T(p) if p is shown in full in r's outbound
          (resident or pinned), H(p) if a handle stands in for it (evicted, released, collapsed), 0 once the client
          itself removed it (microcompact, /clear, compaction)
  fault   Σ over faults (the engine's own fault detection: a new result for an address whose newest page we evicted in
          an earlier request) of T(evicted page) + RT, and the same for every restore of an evicted page
  total   keep + fault        (`token_turns_kept` is the T(p) part of keep)

The bound. For one page p, first seen in request a, the recorded future fixes: n(p) the request in which the same
address is next read (the next result with its key; none for transient output), c(p) the request in which the client
cleared it while resident, d(p) the request in which it left the history (or the session's last request + 1).
Keeping p forever costs T·(min(c, d) − a). Evicting it once in request e (a < e < min(c, d)) costs
T·(e − a) + H·(d − e), plus T + RT when e < n < d (the recorded re-read then is a fault). Pages are independent
under this metric, and a schedule that evicts, restores and evicts again is never cheaper than the single eviction
(a restore is charged like a fault), so Σ_p min_e cost_p(e) is a lower bound for every online policy — including
ones that evict earlier than any of ours (any e > a is allowed; e = a would hide a result the model never saw).
Pages that re-appear after a client rewrite are charged to online runs only; that can only loosen the bound.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.tokens import TokenCounter
from .cost_meter import (DEFAULT_FAULT_OVERHEAD, INF, Cost, CostMeter, PageFact,  # noqa: F401 - the metric's names
                         handle_tokens)


def page_bound(f: PageFact, rt: int = DEFAULT_FAULT_OVERHEAD) -> tuple[int, float]:
    """(minimum cost, best eviction request or INF for "keep") of one page under the metric."""
    if f.arrived_cleared:
        return 0, INF
    end_keep = min(f.c, f.d)
    best, when = int(f.tokens * (end_keep - f.a)), INF
    if f.tokens <= f.handle:
        return best, when
    last = end_keep - 1                                   # latest request an eviction can happen in
    options = {f.a + 1}
    if f.n < INF:
        options.add(max(f.a + 1, int(f.n)))
    for e in options:
        if e > last:
            continue
        cost = f.tokens * (e - f.a) + f.handle * (f.d - e)
        if e < f.n < f.d:
            cost += f.tokens + rt
        if cost < best:
            best, when = int(cost), e
    return best, when


@dataclass(slots=True)
class Bound:
    """The clairvoyant cost per session and in total, plus how many pages it evicts and faults it accepts."""

    sessions: dict[str, Cost] = field(default_factory=dict)
    evictions: int = 0
    faults: int = 0

    def total(self) -> Cost:
        out = Cost()
        for c in self.sessions.values():
            out.add(c)
        return out


def clairvoyant_bound(facts: list[PageFact], rt: int = DEFAULT_FAULT_OVERHEAD) -> Bound:
    b = Bound()
    for f in facts:
        cost, e = page_bound(f, rt)
        c = b.sessions.setdefault(f.session, Cost())
        if e == INF:
            c.keep += cost
            continue
        b.evictions += 1
        keep_part = int(f.tokens * (e - f.a))
        fault = f.tokens + rt if e < f.n < f.d else 0
        c.keep += keep_part
        c.faults += fault
        c.n_faults += 1 if fault else 0
        b.faults += 1 if fault else 0
        c.handles += cost - keep_part - fault
    return b


def clairvoyant_from_replay(source: Any, config: Any = None, counter: TokenCounter | None = None,
                            fault_overhead: int = DEFAULT_FAULT_OVERHEAD) -> tuple[Bound, list[PageFact], Any]:
    """Run the recording once with nothing evicted (policy "none") to read the future, then solve the bound.

    Returns (bound, facts, the keep-everything meter — its cost is the "no pager" baseline).
    """
    from ..model.config import PagerConfig
    from ..recording.replayer import Replayer

    cfg = (config or PagerConfig()).with_(policy="none", mode="page", fault_pinning=False)
    rp = Replayer(source, cfg, counter=counter, measure_bytes=False, snapshot_every=1 << 30)
    meter = CostMeter(rp.engine, rp.counter, fault_overhead)
    rp.run()
    facts = meter.finish_facts()
    return clairvoyant_bound(facts, fault_overhead), facts, meter
