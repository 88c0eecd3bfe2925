"""Headless analysis: replay inputs under one or more policies and build per-session and total reports.

Every number comes from replaying the input through a fresh Engine (the live code path), never from the input's own
annotations. Sizes: `bytes_*` is len(orjson.dumps(messages)) of what the client sent vs what we would send, summed
over requests (the reference's measure); `tokens_*` are the engine's estimates of the same. The cost columns use the
metric of `core/lab/clairvoyant.py` and are reported against the clairvoyant bound of the same input. One policy run
is `run_policy.py`; the sums over its rows are `totals.py`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .cache_bound import cache_bound
from .cache_cost import as_sent_ledger, live_config, reference_pass
from .cache_shape import ShapeBuilder
from .prices import Price
from .clairvoyant import DEFAULT_FAULT_OVERHEAD
from .run_policy import CacheReference, run_policy
from .totals import totals_of
from ..model.config import PagerConfig
from ..recording.replayer import ReplaySource, load_source
from ..model.tokens import TokenCounter

TOTAL_KEYS = ("requests", "evictions", "gc", "faults", "fault_rate", "bytes_before", "bytes_after", "reduction_pct",
              "tokens_before", "tokens_after")


@dataclass(slots=True)
class Analysis:
    """Reports for several inputs under several policies (the first policy is the primary one)."""

    policies: list[str]
    inputs: list[dict[str, Any]] = field(default_factory=list)    # per input: path, format, missing, warnings
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)   # policy -> per-input run reports

    def sessions(self, policy: str | None = None) -> list[dict[str, Any]]:
        return [s for run in self.runs[policy or self.policies[0]] for s in run["sessions"]]

    def totals(self, policy: str | None = None) -> dict[str, Any]:
        t = totals_of(self.sessions(policy))
        t["side_requests"] = sum(r["totals"]["side_requests"] for r in self.runs[policy or self.policies[0]])
        return t

    def bound_total(self, index: int | None = None) -> dict[str, Any] | None:
        runs = self.runs[self.policies[0]] if index is None else [self.runs[self.policies[0]][index]]
        sess = [s for r in runs for s in r["sessions"]]
        if not sess or not all(s.get("bound") for s in sess):
            return None
        out = {k: sum(s["bound"][k] for s in sess) for k in ("keep", "handles", "faults", "fault_events", "total")}
        if all("usd" in s["bound"] for s in sess):
            out["usd"] = round(sum(s["bound"]["usd"] for s in sess), 6)
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"policy": self.policies[0], "sessions": self.sessions(), "totals": self.totals(),
                               "inputs": self.inputs}
        if len(self.policies) > 1:
            out["compare"] = {p: {"sessions": self.sessions(p), "totals": self.totals(p)} for p in self.policies}
        return out


def analyze(paths: Iterable[str], policies: list[str], base: PagerConfig | None = None, *,
            bound: bool = True, fault_overhead: int = DEFAULT_FAULT_OVERHEAD,
            counter: TokenCounter | None = None, progress: Callable[[int], None] | None = None,
            sources: dict[str, ReplaySource] | None = None,
            prices: dict[str, Price] | None = None) -> Analysis:
    """Analyze each path under each policy (plus one keep-everything pass per input for the bound)."""
    base = base or PagerConfig()
    counter = counter or TokenCounter()
    result = Analysis(list(policies))
    for p in policies:
        result.runs[p] = []
    for path in paths:
        src = (sources or {}).get(path) or load_source(path)
        result.inputs.append({"path": str(path), "format": src.format, "frames": len(src.frames),
                              "missing": src.missing, "warnings": src.warnings[:20]})
        b, cache = None, None
        if bound:
            builder = ShapeBuilder(counter)
            b, facts, _, ledger, places = reference_pass(src, base, counter, fault_overhead, builder, prices)
            live = live_config(src)
            as_sent = as_sent_ledger(src, live, counter, builder, prices) if live is not None else None
            cals = (as_sent or ledger).calibrations()
            ledger.bill(cals)
            if as_sent is not None:
                as_sent.bill(cals)
            cache = CacheReference(cals, ledger, cache_bound(facts, places, ledger, cals, fault_overhead), builder,
                                   as_sent)
            if progress:
                progress(len(src.frames))
        for p in policies:
            result.runs[p].append(run_policy(src, base.with_(policy=p), counter=counter, bound=b,
                                             fault_overhead=fault_overhead, progress=progress, cache=cache,
                                             prices=prices))
    return result


def frames_to_process(sources: list[ReplaySource], policies: list[str], bound: bool = True) -> int:
    return sum(len(s.frames) for s in sources) * (len(policies) + (1 if bound else 0))
