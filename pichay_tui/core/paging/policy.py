"""The eviction-policy interface: the engine enforces the invariants, a policy only ranks candidates.

The policies themselves and the registry by name live in `paging.policies` (which imports this module, never the
reverse).

Invariants a policy cannot break (the sweep filters first): never the last user turn, never pinned or error results,
never a page that is not resident.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

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
