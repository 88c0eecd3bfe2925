"""Denning's working set: a tool result stays resident while its address was referenced in the last Δ user turns.

W(t, Δ) is the set of paths and address keys touched in turns (t-Δ, t]; a reference is the result itself, a re-read,
or any later call naming the same file (Edit, Write, Grep/Glob in it). Δ is `window` in policy_args (default τ, the
age threshold). Unlike FIFO-age, a file the agent keeps editing or grepping is not evicted just because its Read is
old; unlike LRU, there is no budget — the window alone decides.
"""
from __future__ import annotations

from typing import Iterable

from ...model.pages import Page
from ..policy import PolicyContext
from ._common import AccessTracker, arg


class WorkingSetPolicy:
    name = "working_set"

    def __init__(self) -> None:
        self.access = AccessTracker()

    def select(self, ctx: PolicyContext, candidates: Iterable[Page]) -> list[Page]:
        acc = self.access.update(ctx)
        delta = int(arg(ctx, "window", ctx.age_threshold))
        if ctx.zone == "aggressive":
            delta = max(1, delta // 2)
        if ctx.force:
            delta = 1
        out = []
        for p in candidates:
            if p.bytes < ctx.min_size:
                continue
            if self.access.superseded(acc, p) or ctx.current_turn - self.access.last_access(ctx, acc, p) >= delta:
                out.append(p)
        return out
