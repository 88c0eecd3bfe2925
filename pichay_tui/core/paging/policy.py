"""Eviction policies behind one interface; the engine enforces the invariants, a policy only ranks candidates.

Invariants a policy cannot break (the sweep filters first): never the last user turn, never pinned or error results,
never a page that is not resident.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol

from ..model.pages import Page


@dataclass(slots=True)
class PolicyContext:
    """What a policy may look at when choosing victims for one sweep."""

    current_turn: int
    zone: str
    tokens: int                    # best estimate of the context size before this sweep
    window: int
    age_threshold: int
    min_size: int
    args: dict[str, Any] = field(default_factory=dict)
    force: bool = False            # operator compaction: ignore age
    session: Any = None            # the Session being swept (read-only for policies; None in unit tests)
    request_no: int = 0            # the session's request number of this sweep

    def effective_age(self, page: Page) -> int:
        """Age in user turns since the page was last brought in (creation or restore)."""
        base = max(page.turn, page.restored_at_turn or 0)
        return max(0, self.current_turn - base)


class Policy(Protocol):
    name: str

    def select(self, ctx: PolicyContext, candidates: Iterable[Page]) -> list[Page]:
        """Pages to evict now, from candidates that already satisfy the invariants."""
        ...


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


POLICIES: dict[str, Callable[[], Policy]] = {"fifo": FifoAgePolicy}


def register_policy(name: str, factory: Callable[[], Policy]) -> None:
    POLICIES[name] = factory


def make_policy(name: str) -> Policy:
    if name not in POLICIES:
        from . import policies  # noqa: F401  - registers the policy lab (lru, working_set, cost_aware, ...)
    try:
        return POLICIES[name]()
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; known: {', '.join(sorted(POLICIES))}") from None
