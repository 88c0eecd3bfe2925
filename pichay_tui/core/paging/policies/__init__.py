"""The policy lab: eviction policies beyond the FIFO-age baseline, registered by name with the core.

Names: fifo (core), fifo_adaptive (backs off when it thrashes), lru, working_set, cost_aware, pin_decay, cache_aware
(prices the cache re-write), and the peers anthropic_clear and cc_microcompact.
Every policy only ranks candidates the engine already filtered (resident, unpinned, non-error tool results older than
the last user turn); knobs come from PagerConfig.policy_args. See docs/policies.md.
"""
from __future__ import annotations

from ..policy import POLICIES, register_policy
from .adaptive import AdaptiveFifoPolicy
from .cache_aware import CacheAwarePolicy
from .cost_aware import CostAwarePolicy
from .lru import LruPolicy
from .peers import AnthropicClearPolicy, MicrocompactPolicy
from .pin_decay import PinDecayPolicy
from .working_set import WorkingSetPolicy

LAB = {"fifo_adaptive": AdaptiveFifoPolicy, "lru": LruPolicy, "working_set": WorkingSetPolicy, "cost_aware": CostAwarePolicy,
       "pin_decay": PinDecayPolicy, "anthropic_clear": AnthropicClearPolicy, "cc_microcompact": MicrocompactPolicy,
       "cache_aware": CacheAwarePolicy}
for _name, _factory in LAB.items():
    register_policy(_name, _factory)

ONLINE_POLICIES = ("fifo", *LAB)

__all__ = ["LAB", "ONLINE_POLICIES", "POLICIES", "AdaptiveFifoPolicy", "CostAwarePolicy", "LruPolicy", "WorkingSetPolicy", "PinDecayPolicy",
           "AnthropicClearPolicy", "MicrocompactPolicy", "CacheAwarePolicy"]


class KeepAllPolicy:
    """Never evicts: the "no pager" baseline row of a comparison, and the fact-gathering pass of the bound."""

    name = "none"

    def select(self, ctx, candidates):
        return []


register_policy("none", KeepAllPolicy)
