"""Sums and ratios over the per-session rows of an analysis report (one policy run, or several inputs together)."""
from __future__ import annotations

from typing import Any

SUM_KEYS = ("request_count", "pages", "evictions", "gc", "faults", "major_faults", "minor_faults", "pins", "pin_events",
            "bytes_before", "bytes_after", "tokens_before", "tokens_after", "token_turns_kept",
            "predicted_invalidated_tokens", "sweeps", "cleared_by_client", "side_requests")
THRASH_MIN_FAULTS = 3


def pct(before: int, after: int) -> float:
    return round(100.0 * (before - after) / before, 1) if before else 0.0


def ratio(cost: int, bound: int) -> float | None:
    return round(cost / bound, 3) if bound else None


def thrash(faults: int, evictions: int, refaulted: int) -> tuple[bool, str]:
    """Thrashing: at least 3 faults and either half the paged evictions fault back or an address faulted twice."""
    rate = faults / evictions if evictions else 0.0
    if faults >= THRASH_MIN_FAULTS and (rate >= 0.5 or refaulted):
        why = f"{rate:.0%} of paged evictions faulted back" if rate >= 0.5 else \
            f"{refaulted} address(es) faulted more than once"
        return True, why
    return False, ""


def totals_of(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    t: dict[str, Any] = {k: sum(s.get(k, 0) for s in sessions) for k in SUM_KEYS}
    t["sessions"] = len(sessions)
    t["requests"] = t["request_count"]
    t["fault_rate"] = round(t["faults"] / t["evictions"], 4) if t["evictions"] else 0.0
    t["reduction_pct"] = pct(t["bytes_before"], t["bytes_after"])
    t["token_reduction_pct"] = pct(t["tokens_before"], t["tokens_after"])
    cost = {k: sum(s["cost"][k] for s in sessions) for k in ("keep", "handles", "faults", "fault_events", "total")}
    cost["usd"] = round(sum(s["cost"].get("usd", 0.0) for s in sessions), 6)
    t["cost"] = cost
    t["context_tokens_end"] = sum(s.get("context_tokens_end", 0) for s in sessions)
    if all("no_pager_usd" in s.get("spend", {}) for s in sessions) and sessions:
        t["no_pager_usd"] = round(sum(s["spend"]["no_pager_usd"] for s in sessions), 6)
        t["saving_usd"] = round(t["no_pager_usd"] - cost["usd"], 6)
    if all(s.get("bound") for s in sessions) and sessions:
        b = {k: sum(s["bound"][k] for s in sessions) for k in ("keep", "handles", "faults", "fault_events", "total")}
        if all("usd" in s["bound"] for s in sessions):
            b["usd"] = round(sum(s["bound"]["usd"] for s in sessions), 6)
            t["usd_ratio"] = ratio(cost["usd"], b["usd"])
        t["bound"] = b
        t["cost_ratio"] = ratio(cost["total"], b["total"])
    else:
        t["bound"], t["cost_ratio"] = None, None
    t["thrash_sessions"] = sum(1 for s in sessions if s.get("thrash"))
    return t
