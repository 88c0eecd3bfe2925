"""The paper's baseline policy: FIFO by age with a size floor."""
from __future__ import annotations

from typing import Iterable

from ...model.pages import Page
from ..policy import PolicyContext


class FifoAgePolicy:
    """The paper's baseline: evict tool results at least τ user turns old and at least min_size bytes.

    In the aggressive zone the thresholds relax (τ halved, size halved), as the paper's zones describe.
    """

    name = "fifo"

    def select(self, ctx: PolicyContext, candidates: Iterable[Page]) -> list[Page]:
        tau, size = ctx.age_threshold, ctx.min_size
        if ctx.zone == "aggressive":
            tau, size = max(1, tau // 2), size // 2
        if ctx.force:
            tau = 1
        return [p for p in candidates if ctx.effective_age(p) >= tau and p.bytes >= size]
