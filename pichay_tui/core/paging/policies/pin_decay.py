"""FIFO-age with decaying fault pins: a fault says the page was needed *then*, not forever.

After a fault on an address, pages of that address are protected with strength 1, halving every K user turns since
the address was last accessed (`half_life`, default 2τ). A page is kept while its strength is at least `threshold`
(default 0.25, i.e. for two half-lives of idleness); after that it is evicted like any other page and the engine's
permanent fault pin is released. Everything else follows FIFO-age (τ, min size).
"""
from __future__ import annotations

from typing import Iterable

from ...model.pages import Page
from ..policy import PolicyContext
from .fifo import FifoAgePolicy
from ._common import AccessTracker, arg, release_fault_pin


class PinDecayPolicy:
    name = "pin_decay"

    def __init__(self) -> None:
        self.access = AccessTracker()
        self.fifo = FifoAgePolicy()

    def strength(self, ctx: PolicyContext, page: Page, last: int) -> float:
        s = ctx.session
        kh = s.keys.get(page.key) if (s is not None and page.key) else None
        if kh is None or not kh.faults:
            return 0.0
        k = max(1, int(arg(ctx, "half_life", 2 * ctx.age_threshold)))
        return 0.5 ** ((ctx.current_turn - last) / k)

    def select(self, ctx: PolicyContext, candidates: Iterable[Page]) -> list[Page]:
        acc = self.access.update(ctx)
        threshold = float(arg(ctx, "threshold", 0.25))
        out = []
        for p in self.fifo.select(ctx, candidates):
            if ctx.force or self.access.superseded(acc, p) or \
                    self.strength(ctx, p, self.access.last_access(ctx, acc, p)) < threshold:
                out.append(p)
        release_fault_pin(ctx, out)
        return out
