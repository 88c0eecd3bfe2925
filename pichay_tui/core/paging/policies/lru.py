"""LRU under a token budget: keep the most recently accessed tool results while they fit, evict the rest.

Capacity-driven (unlike FIFO-age, which is time-driven): nothing is evicted while resident tool results fit in
`budget_tokens` (default 10 % of the window). An access is the result arriving, a restore, or a later call touching
the same file (Edit, Write, Grep/Glob in it, a re-read). Stale duplicates (a newer copy of the same address exists)
go first: evicting them cannot fault.
"""
from __future__ import annotations

from typing import Iterable

from ...model.pages import Page
from ..policy import PolicyContext
from ._common import AccessTracker, arg, resident_result_tokens


class LruPolicy:
    name = "lru"

    def __init__(self) -> None:
        self.access = AccessTracker()

    def select(self, ctx: PolicyContext, candidates: Iterable[Page]) -> list[Page]:
        acc = self.access.update(ctx)
        cands = [p for p in candidates if p.bytes >= ctx.min_size]
        if ctx.force:
            return cands
        budget = int(arg(ctx, "budget_tokens", max(1, ctx.window // 10)))
        if ctx.zone == "aggressive":
            budget //= 2
        out = [p for p in cands if self.access.superseded(acc, p)]
        chosen = {p.id for p in out}
        excess = resident_result_tokens(ctx) - sum(p.tokens for p in out) - budget
        if excess <= 0:
            return out
        rest = sorted((p for p in cands if p.id not in chosen),
                      key=lambda p: (self.access.last_access(ctx, acc, p), p.pos))
        for p in rest:
            if excess <= 0:
                break
            out.append(p)
            excess -= p.tokens
        return out
