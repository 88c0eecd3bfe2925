"""`pichay-tui analyze`: JSON names, --compare table, policy knobs, errors."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pichay_tui.cli.main import cli

SAMPLES = Path(__file__).resolve().parents[1] / "sample_sessions"


def test_analyze_json_keeps_the_issue_names():
    r = CliRunner().invoke(cli, ["analyze", str(SAMPLES / "coding.jsonl"), "--json", "--age-threshold", "3",
                                 "--min-size", "200"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert set(d) >= {"sessions", "totals"}
    assert {"requests", "evictions", "gc", "faults", "fault_rate", "bytes_before", "bytes_after", "reduction_pct",
            "tokens_before", "tokens_after"} <= set(d["totals"])
    assert d["totals"]["requests"] == 13


def test_analyze_compare_prints_a_table_with_the_bound():
    files = [str(SAMPLES / "coding.jsonl"), str(SAMPLES / "subagents.jsonl")]
    r = CliRunner().invoke(cli, ["analyze", *files, "--compare", "fifo,lru,cost_aware,anthropic_clear,cc_microcompact"])
    assert r.exit_code == 0, r.output
    for word in ("compare", "fifo", "lru", "cost_aware", "anthropic_clear", "cc_microcompact", "clairvoyant",
                 "all inputs", "× bound"):
        assert word in r.output


def test_analyze_policy_arg_and_unknown_policy():
    ok = CliRunner().invoke(cli, ["analyze", str(SAMPLES / "coding.jsonl"), "--policy", "lru", "--policy-arg",
                                  "budget_tokens=1000", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["totals"]["evictions"] > 0
    bad = CliRunner().invoke(cli, ["analyze", str(SAMPLES / "coding.jsonl"), "--policy", "nope"])
    assert bad.exit_code != 0 and "unknown policy" in bad.output


def test_replay_headless_lists_frames_and_timeline():
    r = CliRunner().invoke(cli, ["replay", str(SAMPLES / "coding.jsonl"), "--headless"])
    assert r.exit_code == 0, r.output
    assert r.output.count("\n") >= 14 and "page_evicted" in r.output
