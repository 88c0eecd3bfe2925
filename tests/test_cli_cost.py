"""`pichay-tui analyze … --json` through the installed command: the cache-cost contract names and the compare table."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "sample_sessions"
USAGE = {"input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}


def pichay() -> str:
    exe = shutil.which("pichay-tui") or str(Path(sys.executable).parent / "pichay-tui")
    assert Path(exe).exists(), "the pichay-tui command is not installed"
    return exe


def test_installed_analyze_json_has_the_cost_contract():
    p = subprocess.run([pichay(), "analyze", str(SAMPLES / "coding.jsonl"), str(SAMPLES / "long_thrash.jsonl.xz"),
                        "--compare", "all", "--json"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert "cache_aware" in d["compare"]
    for s in d["sessions"]:
        assert isinstance(s["requests"], list) and s["requests"]
        for r in s["requests"]:
            assert isinstance(r["n"], int)
            assert r["usage_observed"] is None or set(r["usage_observed"]) == USAGE
            assert set(r["usage_predicted"]) == USAGE
        assert s["cost"]["usd"] > 0 and "usd" in s["bound"]
    assert d["totals"]["cost"]["usd"] > 0 and d["totals"]["bound"]["usd"] > 0
    for name, run in d["compare"].items():
        assert run["totals"]["cost"]["usd"] >= run["totals"]["bound"]["usd"], name
        assert "usd" in run["totals"]["bound"]


@pytest.mark.captures
def test_installed_analyze_reports_observed_usage_on_the_legacy_logs(captures):
    log = captures / "pichay-legacy" / "test_author_run2" / "proxy.jsonl"
    p = subprocess.run([pichay(), "analyze", str(log), "--json"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)["sessions"][0]
    assert [r["n"] for r in s["requests"]] == list(range(1, 10))
    assert all(r["usage_observed"] for r in s["requests"])
    assert abs(s["cache_validation"]["read_error_pct"]) <= 10


def test_installed_analyze_table_shows_dollars():
    env = {**os.environ, "COLUMNS": "250"}
    p = subprocess.run([pichay(), "analyze", str(SAMPLES / "coding.jsonl"), "--compare", "fifo,cache_aware,none"],
                       capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr
    assert "spend $" in p.stdout and "cache_aware" in p.stdout and "no pager" in p.stdout


def test_installed_analyze_takes_a_price_table(tmp_path):
    """Prices are configuration: doubling every price of the sample's model doubles the spend."""
    base = subprocess.run([pichay(), "analyze", str(SAMPLES / "coding.jsonl"), "--json"], capture_output=True,
                          text=True, timeout=300)
    table = tmp_path / "prices.json"
    table.write_text(json.dumps({"default": {"input": 6, "write_5m": 7.5, "write_1h": 12, "read": 0.6, "output": 30}}))
    doubled = subprocess.run([pichay(), "analyze", str(SAMPLES / "coding.jsonl"), "--json", "--prices", str(table)],
                             capture_output=True, text=True, timeout=300)
    assert base.returncode == 0 and doubled.returncode == 0, doubled.stderr
    a, b = json.loads(base.stdout)["totals"], json.loads(doubled.stdout)["totals"]
    assert b["cost"]["usd"] == pytest.approx(2 * a["cost"]["usd"], rel=1e-4)
    assert b["bound"]["usd"] == pytest.approx(2 * a["bound"]["usd"], rel=1e-4)
    table.write_text("{not json")
    bad = subprocess.run([pichay(), "analyze", str(SAMPLES / "coding.jsonl"), "--prices", str(table)],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--prices" in bad.stderr
