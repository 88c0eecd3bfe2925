"""FIFO-age that backs off when it thrashes (the paper's session B: 659 faults for 680 evictions).

Each session keeps its own τ. After every `window` paged evictions the policy looks at the faults they caused: above
`max_rate` the working set is bigger than τ keeps resident, so τ grows by `step` (up to `cap`); after `calm`
reviews in a row without a fault it relaxes by one turn towards the configured τ (hysteresis, so it does not
oscillate). Fault pinning still applies on top. Knobs come from `policy_args` (`window` 8, `max_rate` 0.25,
`step` 2, `cap` 4τ, `calm` 4).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from ...model.pages import Page
from ..policy import PolicyContext
from .fifo import FifoAgePolicy
from ._common import arg


class AdaptiveFifoPolicy:
    name = "fifo_adaptive"

    def __init__(self) -> None:
        self.fifo = FifoAgePolicy()
        self.tau: dict[str, int] = {}
        self.mark: dict[str, tuple[int, int]] = {}      # session -> (paged evictions, faults) at the last review
        self.calm: dict[str, int] = {}                  # session -> reviews in a row without a fault

    def current_tau(self, ctx: PolicyContext) -> int:
        s = ctx.session
        if s is None:
            return ctx.age_threshold
        base = ctx.age_threshold
        tau = self.tau.get(s.id, base)
        window = max(1, int(arg(ctx, "window", 8)))
        e0, f0 = self.mark.get(s.id, (0, 0))
        ev, faults = s.stats.evictions, s.stats.faults
        if ev - e0 >= window:
            rate = (faults - f0) / (ev - e0)
            max_rate = float(arg(ctx, "max_rate", 0.25))
            calm = self.calm.get(s.id, 0) + 1 if faults == f0 else 0
            if rate > max_rate:
                tau = min(tau + int(arg(ctx, "step", 2)), int(arg(ctx, "cap", 4 * base)))
            elif calm >= int(arg(ctx, "calm", 4)) and tau > base:
                tau, calm = tau - 1, 0
            self.mark[s.id], self.calm[s.id] = (ev, faults), calm
        self.tau[s.id] = tau
        return tau

    def select(self, ctx: PolicyContext, candidates: Iterable[Page]) -> list[Page]:
        return self.fifo.select(replace(ctx, age_threshold=self.current_tau(ctx)), candidates)
