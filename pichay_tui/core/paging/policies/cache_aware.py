"""Cache-aware eviction: evict only when the expected saving over the rest of the session repays the cache re-write.

Under prompt caching a kept token costs the read price (0.1× input) per request, while changing a block re-writes
everything after it at the write price (1.25×). For a sweep whose earliest change is at block position q:
  rewrite(q) = (write − read) · tokens re-written from q               (0 when the cache is cold anyway)
  value(p)   = (T − H) · read · max(1, age(p))                         (the read "rent" the page has cost so far)
age(p) is how many requests the page has already been an eviction candidate: the expected remaining idle time of a
page is about what it has been so far (Lindy), so this is rent-or-buy — keep paying the rent until it adds up to the
re-write, then buy. It makes sweeps batch: one re-write pays for every page behind the frontier, and a fresh page
right behind the end of the prompt (a tiny re-write) goes at once. A page is only worth evicting if its saving over
the expected rest of the session (horizon: as many requests as so far, `horizon_min` 8 to `horizon_max` 200; for an
address read again before, its usual gap between reads) beats the expected fault, P(reuse) · (T + RT) · write, with
P(reuse) as in cost_aware (0 for a stale duplicate). The policy picks the frontier q that maximises Σ value(p) over the
positive-value pages at or after q minus rewrite(q), and evicts them in one batch — or nothing when no frontier pays.
The cache is cold (rewrite 0) after an idle gap longer than the TTL (`ttl`, 300 s) and after the client rewrote its
whole history (a compaction, /clear): those sweeps evict every page worth evicting. When the client changed a block
itself (Claude Code's microcompact clearing old results), the cache re-writes from there anyway: only what lies
before it is charged.
Pressure: in the involuntary or aggressive zone the client would soon compact, which re-writes the whole prompt; a
frontier that frees enough to get under `target_fill` of the window earns that avoided cost
(`compaction_weight` × tokens × write).
The re-write follows the cache's lookback rule: a change more than 20 blocks before the end of the prompt cannot be
matched to a cached prefix that ends right before it, so the whole message history is re-written.
"""
from __future__ import annotations

from typing import Iterable

from ...model.pages import Page, PageState
from ..policy import PolicyContext
from ._common import AccessTracker, arg
from ...lab.cache_model import LOOKBACK, TTL_5M

HANDLE_TOKENS = 60


def rewrite_tokens(s, pos: int) -> int:
    """Tokens re-written when block `pos` changes: from `pos` when a cached prefix ends within the lookback window
    of the newest breakpoint, else every message (the nearest reachable cache entry is the tools+system prefix)."""
    return s.tokens.fen.from_(pos) if len(s.tokens.fen) - pos <= LOOKBACK else s.tokens.fen.total


class CacheAwarePolicy:
    name = "cache_aware"

    def __init__(self) -> None:
        self.access = AccessTracker()
        self.seen: dict[str, tuple[float, int]] = {}      # session -> (timestamp, epoch) of the previous sweep
        self.since: dict[tuple[str, str], int] = {}       # (session, page) -> request it first was a candidate
        self.first_seen: dict[tuple[str, str], int] = {}  # (session, address) -> request it first had a candidate
        self.cleared: dict[str, tuple[int, set[str]]] = {}  # session -> (client clears counted, pages known cleared)

    def client_change(self, ctx: PolicyContext) -> int | None:
        """Position of the earliest block the client itself changed in this request (a microcompact clearing old
        results, a truncation): the cache re-writes from there anyway, so changes behind it are free."""
        s = ctx.session
        n, known = self.cleared.get(s.id, (0, set()))
        if s.stats.cleared_by_client == n:
            return None
        now = {pid for pid, p in s.pages.items() if p.state is PageState.CLEARED}
        new = [s.pages[pid] for pid in now - known]
        self.cleared[s.id] = (s.stats.cleared_by_client, now)
        return min((p.pos for p in new if p.pos >= 0), default=None)

    def cold(self, ctx: PolicyContext) -> bool:
        """Nothing of the prompt is cached now: an idle gap beyond the TTL, or the client rewrote its history."""
        s = ctx.session
        prev = self.seen.get(s.id)
        self.seen[s.id] = (s.last_ts, s.epoch)
        if prev is None:
            return False
        return s.last_ts - prev[0] > float(arg(ctx, "ttl", TTL_5M)) or s.epoch != prev[1]

    def value(self, ctx: PolicyContext, acc, p: Page, read: float, write: float) -> float:
        handle = float(arg(ctx, "handle_tokens", HANDLE_TOKENS))
        rt = float(arg(ctx, "fault_overhead", 200))
        s = ctx.session
        horizon = min(max(float(s.request_no), float(arg(ctx, "horizon_min", 8))), float(arg(ctx, "horizon_max", 200)))
        if self.access.superseded(acc, p):
            reuse = 0.0
        elif p.key:
            kh = s.keys.get(p.key)
            r = acc.reads.get(p.key, 1) - 1 + (kh.faults if kh else 0)
            p0 = float(arg(ctx, "prior_paged", 0.3))
            reuse = (2 * p0 + r) / (2 + r)
            if r:                                     # a re-read address: idle for about its usual gap, not longer
                first = self.first_seen.setdefault((s.id, p.key), ctx.request_no)
                horizon = min(horizon, max(1.0, (ctx.request_no - first) / r))
        else:
            reuse = float(arg(ctx, "prior_gc", 0.05))
        age = ctx.request_no - self.since.setdefault((s.id, p.id), ctx.request_no)
        if (p.tokens - handle) * read * horizon <= reuse * (p.tokens + rt) * write:
            return 0.0                                # likely read again before the saving repays the fault
        return (p.tokens - handle) * read * max(age, 1)

    def select(self, ctx: PolicyContext, candidates: Iterable[Page]) -> list[Page]:
        s = ctx.session
        cands = [p for p in candidates if p.bytes >= ctx.min_size and p.pos >= 0]
        if s is None or ctx.force:
            return cands
        acc = self.access.update(ctx)
        cold = self.cold(ctx)
        client = self.client_change(ctx)
        client_rw = rewrite_tokens(s, client) if client is not None else 0
        read, write = float(arg(ctx, "read", 0.1)), float(arg(ctx, "write", 1.25))
        handle = float(arg(ctx, "handle_tokens", HANDLE_TOKENS))
        scored = sorted(((p, self.value(ctx, acc, p, read, write)) for p in cands if p.tokens > handle),
                        key=lambda x: x[0].pos)
        pressure = ctx.zone in ("involuntary", "aggressive")
        need = ctx.tokens - int(ctx.window * float(arg(ctx, "target_fill", 0.6))) if pressure else 0
        bonus = float(arg(ctx, "compaction_weight", 1.0)) * ctx.tokens * write if pressure else 0.0
        best, best_i = 0.0, None
        gain = freed = 0.0
        for i in range(len(scored) - 1, -1, -1):       # frontier moves towards the start of the prompt
            p, v = scored[i]
            if v > 0 or pressure:
                gain += max(v, 0.0)
                freed += p.tokens - handle
            rewrite = 0.0 if cold else (write - read) * max(0.0, rewrite_tokens(s, p.pos) - freed - client_rw)
            total = gain - rewrite + (bonus if pressure and freed >= need else 0.0)
            if total > best:
                best, best_i = total, i
        if best_i is None:
            return []
        return [p for p, v in scored[best_i:] if v > 0 or pressure]
