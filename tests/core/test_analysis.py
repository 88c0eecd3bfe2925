"""Analysis reports: the reference's FIFO figures on the author runs, JSON names, comparison runs."""
from __future__ import annotations

import pytest

from pichay_tui.core.lab.analysis import TOTAL_KEYS, analyze

from .replay_fixtures import SAMPLE_FILES

REFERENCE = {"test_author_run1": 24.8, "test_author_run2": 30.8}


@pytest.mark.captures
@pytest.mark.parametrize("run", sorted(REFERENCE))
def test_fifo_tau4_reproduces_reference_reduction(captures, run):
    """Ours: 23.6 % / 30.2 % (docs/policies.md explains the ~1 point gap: the reference's handle text is longer
    for small results and it measured json.dumps with default separators)."""
    a = analyze([str(captures / "pichay-legacy" / run)], ["fifo"])
    t = a.totals()
    assert t["requests"] == {"test_author_run1": 18, "test_author_run2": 9}[run]
    assert abs(t["reduction_pct"] - REFERENCE[run]) <= 3.0, t["reduction_pct"]


def test_json_shape_and_compare():
    path = str(next(p for p in SAMPLE_FILES if p.name == "coding.jsonl"))
    a = analyze([path], ["fifo", "cost_aware", "none"])
    out = a.to_json()
    assert set(TOTAL_KEYS) <= set(out["totals"])
    assert out["sessions"] and {"requests", "evictions", "gc", "faults", "major_faults", "minor_faults",
                                "fault_rate", "pins", "bytes_before", "bytes_after", "reduction_pct",
                                "tokens_before", "tokens_after", "token_turns_kept",
                                "predicted_invalidated_tokens", "thrash", "cost", "bound"} <= set(out["sessions"][0])
    assert set(out["compare"]) == {"fifo", "cost_aware", "none"}
    none = out["compare"]["none"]["totals"]
    assert none["evictions"] == 0 and none["reduction_pct"] == 0.0
    assert out["totals"]["bytes_after"] < out["totals"]["bytes_before"]


def test_long_sample_is_flagged_as_thrashing_under_fifo():
    path = str(next(p for p in SAMPLE_FILES if p.name.startswith("long")))
    a = analyze([path], ["fifo"], bound=False)
    s = a.sessions()[0]
    assert s["thrash"] and s["faults"] >= 10 and s["request_count"] > 150
