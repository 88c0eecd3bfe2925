"""The policy comparison table (one row per policy, plus the clairvoyant bound) that `pichay-tui analyze --compare`
prints and the replay screen shows; sans-io, so the UI and the CLI both import it from here."""
from __future__ import annotations

from .totals import totals_of

DEFAULT_COMPARE = "fifo,lru,working_set,cost_aware,cache_aware,pin_decay,anthropic_clear,cc_microcompact,none"

COMPARE_HEADERS = ["policy", "requests", "evict", "gc", "faults", "f.rate", "bytes −%", "tokens −%", "token-turns kept",
                   "cost", "× bound", "spend $", "ctx end", "$ × bound", "thrash"]


def fmt_ratio(r: float | None) -> str:
    """A cost ratio as `1.23×`, or `–` when there is none."""
    return f"{r:.2f}×" if r is not None else "–"


def fmt_usd(v: float | None) -> str:
    """Dollars with a true minus sign (`−$1.20`), or `–` when the cache model has no price."""
    if v is None:
        return "–"
    return f"−${-v:,.2f}" if v < 0 else f"${v:,.2f}"


def compare_rows(analysis, index: int | None) -> list[list[str]]:
    """Rows of the comparison table for one input (index) or all inputs (None)."""
    rows = []
    for p in analysis.policies:
        runs = analysis.runs[p] if index is None else [analysis.runs[p][index]]
        t = totals_of([s for r in runs for s in r["sessions"]])
        rows.append([p, str(t["requests"]), str(t["evictions"]), str(t["gc"]), str(t["faults"]),
                     f"{t['fault_rate']:.2f}", f"{t['reduction_pct']:.1f}", f"{t['token_reduction_pct']:.1f}",
                     f"{t['token_turns_kept']:,}", f"{t['cost']['total']:,}", fmt_ratio(t["cost_ratio"]),
                     fmt_usd(t["cost"].get("usd")), f"{t.get('context_tokens_end', 0):,}",
                     fmt_ratio(t.get("usd_ratio")), "yes" if t["thrash_sessions"] else ""])
    b = analysis.bound_total(index)
    if b is not None:
        rows.append(["clairvoyant", "", "", "", str(b["fault_events"]), "", "", "", f"{b['keep']:,}",
                     f"{b['total']:,}", "1.00×", fmt_usd(b.get("usd")), "", "1.00×" if "usd" in b else "–", ""])
    return rows
