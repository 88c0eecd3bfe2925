"""Eviction policies by name: the FIFO-age baseline and the policy lab, and `make_policy` to build one.

Names: fifo (the paper's baseline), fifo_adaptive (backs off when it thrashes), lru, working_set, cost_aware, pin_decay,
cache_aware (prices the cache re-write), the peers anthropic_clear and cc_microcompact, and none (never evicts).
Every policy only ranks candidates the engine already filtered (resident, unpinned, non-error tool results older than
the last user turn); knobs come from PagerConfig.policy_args. See docs/policies.md.
"""
from __future__ import annotations

from typing import Callable

from ..policy import Policy
from .adaptive import AdaptiveFifoPolicy
from .cache_aware import CacheAwarePolicy
from .cost_aware import CostAwarePolicy
from .fifo import FifoAgePolicy
from .lru import LruPolicy
from .peers import AnthropicClearPolicy, MicrocompactPolicy
from .pin_decay import PinDecayPolicy
from .working_set import WorkingSetPolicy


class KeepAllPolicy:
    """Never evicts: the "no pager" baseline row of a comparison, and the fact-gathering pass of the bound."""

    name = "none"

    def select(self, ctx, candidates):
        return []


LAB = {"fifo_adaptive": AdaptiveFifoPolicy, "lru": LruPolicy, "working_set": WorkingSetPolicy, "cost_aware": CostAwarePolicy,
       "pin_decay": PinDecayPolicy, "anthropic_clear": AnthropicClearPolicy, "cc_microcompact": MicrocompactPolicy,
       "cache_aware": CacheAwarePolicy}
POLICIES: dict[str, Callable[[], Policy]] = {"fifo": FifoAgePolicy, **LAB, "none": KeepAllPolicy}
ONLINE_POLICIES = ("fifo", *LAB)


def register_policy(name: str, factory: Callable[[], Policy]) -> None:
    POLICIES[name] = factory


def make_policy(name: str) -> Policy:
    try:
        return POLICIES[name]()
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; known: {', '.join(sorted(POLICIES))}") from None


__all__ = ["LAB", "ONLINE_POLICIES", "POLICIES", "AdaptiveFifoPolicy", "CostAwarePolicy", "FifoAgePolicy", "LruPolicy",
           "WorkingSetPolicy", "PinDecayPolicy", "AnthropicClearPolicy", "MicrocompactPolicy", "CacheAwarePolicy",
           "KeepAllPolicy", "make_policy", "register_policy"]
