"""Cost-aware eviction: evict when the projected cost of keeping a page exceeds the expected cost of faulting it.

For a resident tool result p of T tokens, idle for a user turns (its last access, see LRU):
  keep cost   = (T − H) · horizon        H: the handle's tokens; horizon: projected further idle turns, estimated as
                                         max(1, a) (a page idle for a turns tends to stay idle about as long again)
  fault cost  = P(reuse) · (T + RT) · m  RT: round-trip overhead in tokens (`fault_overhead`, default 200);
                                         m = 1 + `fill_weight` · fill², fill = context tokens / window: a fault at high
                                         fill costs a whole extra pass over a big prompt, so be more conservative
  P(reuse)    = (2·p0 + r) / (2 + r)     p0: prior (0.3 addressable, 0.05 transient output); r: times this address
                                         was read again or faulted in this session (hot pages stay)
Evict when keep cost > fault cost. Size matters both ways: small pages (T ≤ H or < min_size) are never worth it.
"""
from __future__ import annotations

from typing import Iterable

from ...model.pages import Page
from ..policy import PolicyContext
from ._common import AccessTracker, arg

HANDLE_TOKENS = 60


class CostAwarePolicy:
    name = "cost_aware"

    def __init__(self) -> None:
        self.access = AccessTracker()

    def select(self, ctx: PolicyContext, candidates: Iterable[Page]) -> list[Page]:
        acc = self.access.update(ctx)
        rt = float(arg(ctx, "fault_overhead", 200))
        handle = float(arg(ctx, "handle_tokens", HANDLE_TOKENS))
        weight = float(arg(ctx, "fill_weight", 4.0))
        fill = min(1.0, ctx.tokens / ctx.window) if ctx.window else 0.0
        m = 1.0 + weight * fill * fill
        if ctx.zone == "aggressive":
            m = 1.0                                   # out of room: a fault is cheaper than an overflow
        s = ctx.session
        out = []
        for p in candidates:
            if p.bytes < ctx.min_size or p.tokens <= handle:
                continue
            if ctx.force or self.access.superseded(acc, p):
                out.append(p)
                continue
            idle = ctx.current_turn - self.access.last_access(ctx, acc, p)
            if p.key:
                kh = s.keys.get(p.key) if s is not None else None
                r = acc.reads.get(p.key, 1) - 1 + (kh.faults if kh else 0)
                p0 = float(arg(ctx, "prior_paged", 0.3))
            else:
                r, p0 = 0, float(arg(ctx, "prior_gc", 0.05))
            reuse = (2 * p0 + r) / (2 + r)
            if (p.tokens - handle) * max(1, idle) > reuse * (p.tokens + rt) * m:
                out.append(p)
        return out
