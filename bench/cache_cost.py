"""Policies × {spend, tokens in context at the end, faults} under the cache model, against no pager and the cache bound,
plus the cache model's prediction error against recorded usage — as Markdown tables (docs/cache.md quotes them).
Run: PICHAY_CAPTURES=../shared/captures python bench/cache_cost.py
"""
from __future__ import annotations

import os
from pathlib import Path

from pichay_tui.core.lab.compare import DEFAULT_COMPARE
from pichay_tui.core.lab.analysis import analyze
from pichay_tui.core.model.config import PagerConfig

ROOT = Path(__file__).resolve().parents[1]


def policy_table(title: str, paths: list[str]) -> None:
    policies = DEFAULT_COMPARE.split(",")
    res = analyze(paths, policies, PagerConfig())
    print(f"\n### {title}\n")
    print("| policy | spend (USD) | vs no pager | × cache bound | tokens in context at the end | faults | evictions |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for p in policies:
        t = res.totals(p)
        usd, none, b = t["cost"]["usd"], t["no_pager_usd"], t["bound"]["usd"]
        print(f"| {p} | {usd:.3f} | {100 * (usd - none) / none:+.1f} % | {usd / b:.3f} | "
              f"{t['context_tokens_end']:,} | {t['faults']} | {t['evictions']} |")
    t = res.totals(policies[0])
    print(f"| *no pager* | {t['no_pager_usd']:.3f} | | {t['no_pager_usd'] / t['bound']['usd']:.3f} | | | |")
    b, none = t["bound"]["usd"], t["no_pager_usd"]
    print(f"| *cache bound* | {b:.3f} | {100 * (b - none) / none:+.1f} % | 1.000 | | | |")


def validation_table(title: str, paths: list[str]) -> None:
    res = analyze(paths, ["none"], PagerConfig())
    print(f"\n### {title}\n")
    print("| session | requests compared | cache reads predicted | observed | error | cache writes predicted | "
          "observed | error | prompt tokens error | per-request read error |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in res.sessions():
        v = s["cache_validation"]
        if not v.get("requests"):
            continue
        print(f"| {s['name']} | {v['requests']} | {v['read_predicted']:,} | {v['read_observed']:,} | "
              f"{v['read_error_pct']:+.2f} % | {v['write_predicted']:,} | {v['write_observed']:,} | "
              f"{v['write_error_pct']:+.2f} % | {v['total_error_pct']:+.2f} % | "
              f"{v['read_abs_error_pct_per_request']:.2f} % |")


def main() -> None:
    caps = Path(os.environ.get("PICHAY_CAPTURES") or ROOT.parent / "shared" / "captures") / "pichay-legacy"
    legacy = [str(p) for p in sorted(caps.glob("*/proxy.jsonl"))]
    samples = [str(p) for p in sorted((ROOT / "sample_sessions").iterdir()) if p.name.endswith((".jsonl", ".xz"))]
    policy_table("The paper authors' logs (5 runs, Claude Code 2.1.63, claude-opus-4-6 prices)", legacy)
    policy_table("The sample sessions (scripted upstream; default price row)", samples)
    validation_table("Prediction error, the paper authors' logs (after the first two requests of each session)", legacy)
    validation_table("Prediction error, the samples (against the scripted upstream's own cache simulation)", samples)


if __name__ == "__main__":
    main()
