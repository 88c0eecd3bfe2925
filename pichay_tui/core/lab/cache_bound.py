"""The cache bound: a lower bound on what any eviction schedule is billed under the cache model (docs/cache.md).

From the keep-everything replay (its per-request bills say what every token cost there):
  bound = bill(keep everything) − the largest net saving any schedule could reach in a relaxation, where
  - evicting page p in request e saves at most its tokens at the keep-everything price in every later request, pays
    its handle (input price in e, read price after) and a fault if its address is read again while evicted: save_p(e);
  - a sweep whose earliest change lies beyond the lookback window of every message breakpoint (an "old" sweep) re-bills
    every non-page message block the keep-everything run read: at least C_e = (input − read) · those tokens;
  - a page evicted while its position is still within reach of a cached prefix pays at least (input − read) on the
    cached non-page content up to the next page, G_p(e) — unless it rides on an old sweep of the same request.
The relaxation lets a page take the best save_p over every request from the first old sweep after it arrived on, so the
per-page gain depends only on that first sweep, and a dynamic program over the old-sweep moments finds the maximum.
"""
from __future__ import annotations

from typing import Any

from .cache_cost import CacheLedger, PagePlace, SentRequest
from .cache_model import LOOKBACK, Calibration
from .clairvoyant import DEFAULT_FAULT_OVERHEAD, INF, PageFact
from .prices import Price, price_for

NEG = float("-inf")


def cache_bound(facts: list[PageFact], places: dict[tuple[str, str], PagePlace], ledger: CacheLedger,
                cals: dict[str, Calibration], rt: int = DEFAULT_FAULT_OVERHEAD) -> dict[str, dict[str, Any]]:
    """Per session: {"usd": the lower bound, "no_pager_usd", "old_sweeps": sweeps the relaxation's optimum uses}."""
    out: dict[str, dict[str, Any]] = {}
    by_page: dict[str, list[PageFact]] = {}
    for f in facts:
        by_page.setdefault(f.session, []).append(f)
    for sid, reqs in ledger.sessions().items():
        idx = {r.n: r for r in reqs}
        cal = cals.get(sid) or cals.get("") or Calibration()
        price = price_for(reqs[0].shape.model if reqs else "", ledger.prices)
        none_usd = sum(r.bill.usd for r in reqs if r.bill)
        net, sweeps = _session_saving(by_page.get(sid, []), places, idx, cal, price, rt)
        out[sid] = {"usd": round(none_usd - net, 6), "no_pager_usd": round(none_usd, 6), "old_sweeps": sweeps}
    return out


class _Request:
    """What the bound needs of one keep-everything request e: which positions are old, what an old sweep costs."""

    def __init__(self, req: SentRequest, prev: SentRequest | None, page_pos: list[int], cal: Calibration,
                 price: Price) -> None:
        shape, bill = req.shape, req.bill
        self.req, self.prev = req, prev
        self.first_msg = shape.msg_offsets[0] if shape.msg_offsets else len(shape)
        reach = set()
        for i, _ in shape.breakpoints:
            reach.update(range(max(0, i - LOOKBACK), i + 1))
        # the lowest message block a cached prefix can end at (through the lookback of some breakpoint)
        self.reach_msg = min((j for j in reach if j >= self.first_msg), default=len(shape))
        self.read_end = min(len(prev.shape) if prev else 0, (bill.read_block + 1) if bill else 0)
        fixed = shape.tokens_between(self.first_msg, self.read_end)
        fixed -= sum(shape.tokens_between(q, q + 1) for q in page_pos if self.first_msg <= q < self.read_end)
        self.old_cost = (price.input - price.read) * max(0, fixed) * cal.b if prev else 0.0

    def old(self, q: int) -> bool:
        """A change at q cannot be matched to a cached prefix ending inside the message history."""
        return q <= self.reach_msg


def _session_saving(facts: list[PageFact], places: dict[tuple[str, str], PagePlace], idx: dict[int, SentRequest],
                    cal: Calibration, price: Price, rt: int) -> tuple[float, int]:
    pos: dict[str, int] = {}
    for f in facts:
        pl, r = places.get((f.session, f.page)), idx.get(f.a)
        if pl is not None and r is not None and pl.msg_index < len(r.shape.msg_offsets):
            pos[f.page] = r.shape.msg_offsets[pl.msg_index] + max(0, pl.block_index)
    page_pos = sorted(pos.values())
    ns = sorted(n for n in idx if idx[n].bill is not None)
    info = {n: _Request(idx[n], idx.get(n - 1), page_pos, cal, price) for n in ns}
    pages = []                                   # (a, recent-only gain r_p, suffix max of save_p by request)
    for f in facts:
        q = pos.get(f.page)
        if q is None or f.arrived_cleared or f.tokens <= f.handle:
            continue
        save, recent = _profile(f, q, page_pos, idx, info, cal, price, rt, places[(f.session, f.page)].early)
        suffix: dict[int, float] = {}
        best = NEG
        for e in sorted(save, reverse=True):
            best = max(best, save[e])
            suffix[e] = best
        pages.append((f.a, max(0.0, recent), suffix))
    base = sum(r for _, r, _ in pages)
    if not ns:
        return base, 0
    # F[e]: the best net gain of the pages arriving before e, given that e is an old sweep (the last so far)
    F: dict[int, float] = {}
    choice: dict[int, int] = {}
    for e in ns:
        vals: dict[int, float] = {}            # arrival request -> what those pages gain if e is their first sweep
        for a, r, suffix in pages:
            if a <= e:
                vals[a] = vals.get(a, 0.0) + max(r, suffix.get(e, NEG))
        arrivals = sorted(vals, reverse=True)
        best, arg = sum(vals.values()), -1     # e is the session's first old sweep
        acc, i = 0.0, 0
        for e2 in reversed([x for x in ns if x < e]):
            while i < len(arrivals) and arrivals[i] > e2:
                acc += vals[arrivals[i]]        # pages arriving in (e2, e] take e as their first sweep
                i += 1
            if F[e2] + acc > best:
                best, arg = F[e2] + acc, e2
        F[e], choice[e] = best - info[e].old_cost, arg
    net, last = base, None
    for e in ns:
        tail = sum(r for a, r, _ in pages if a > e)
        if F[e] + tail > net:
            net, last = F[e] + tail, e
    sweeps = 0
    while last is not None and last != -1:
        sweeps += 1
        last = choice[last]
    return net, sweeps


def _profile(f: PageFact, q: int, page_pos: list[int], idx: dict[int, SentRequest], info: dict[int, _Request],
             cal: Calibration, price: Price, rt: int, early: bool) -> tuple[dict[int, float], float]:
    """save_p(e) for every eviction request e (USD), and the best gain of an eviction outside old sweeps."""
    end_keep, d = int(min(f.c, f.d)), int(f.d)
    first = idx.get(f.a)
    # T: the block as billed (its JSON); H: the handle's text only, a lower bound of the handle block
    T = (first.shape.tokens_between(q, q + 1) if first else f.tokens) * cal.b
    H = f.handle * cal.b
    keep_from: dict[int, float] = {}
    acc = 0.0
    for r in range(end_keep - 1, f.a - 1, -1):
        req = idx.get(r)
        acc += (req.bill.price_at(q, price) if req and req.bill else price.read) * T
        keep_from[r] = acc
    nxt = next((p for p in page_pos if p > q), None)
    save: dict[int, float] = {}
    recent = 0.0
    for e in range(f.a if early else f.a + 1, end_keep):   # e = a only if a new user turn came with it
        handle = H * price.input + H * price.read * max(0, d - e - 1)
        fault = (T + rt) * price.write_5m if e < f.n < f.d and f.n != INF else 0.0
        s = (keep_from.get(e, 0.0) - handle - fault) / 1e6
        save[e] = s
        ri = info.get(e)
        if ri is None or ri.old(q):
            continue
        hi = min(nxt if nxt is not None else len(ri.req.shape), ri.read_end)
        penalty = (price.input - price.read) * ri.req.shape.tokens_between(q + 1, hi) * cal.b / 1e6
        recent = max(recent, s - penalty)
    return save, recent
