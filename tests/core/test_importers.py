"""Importers against the real captures (PICHAY_CAPTURES): legacy proxy logs and Claude Code transcripts."""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pichay_tui.core.recording.importers import detect_format, load_exchanges
from pichay_tui.core.recording.importers._common import strip_markers

pytestmark = pytest.mark.captures
DEFAULT_CAPTURES = Path("/work/shared/captures")
RUNS = ["comparison_baseline_run1", "comparison_compact_trim_run1", "comparison_trimmed_run1",
        "test_author_run1", "test_author_run2"]
EXPECTED_REQUESTS = {"test_author_run1": 18, "test_author_run2": 9}
REMINDER = re.compile(r"\s*<system-reminder>.*?</system-reminder>\s*", re.S)


@pytest.fixture(scope="module")
def legacy() -> Path:
    """The pichay-legacy captures folder; missing captures fail the run (CI sets PICHAY_CAPTURES)."""
    env = os.environ.get("PICHAY_CAPTURES")
    root = Path(env) if env else DEFAULT_CAPTURES
    if not (root / "pichay-legacy").is_dir():
        pytest.fail(f"real-traffic captures not found at {root}/pichay-legacy: set PICHAY_CAPTURES to the shared "
                    f"captures folder (e.g. ../shared/captures)", pytrace=False)
    return root / "pichay-legacy"


def raw_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def assert_valid_request(body: dict) -> None:
    """A Messages API request: alternating roles from user to user, every tool_use answered next turn."""
    msgs = body["messages"]
    assert body.get("model") and msgs
    assert [m["role"] for m in msgs] == ["user" if i % 2 == 0 else "assistant" for i in range(len(msgs))]
    for i, m in enumerate(msgs):
        content = m["content"] if isinstance(m["content"], list) else [{"type": "text", "text": m["content"]}]
        assert all(isinstance(b, dict) and b.get("type") for b in content)
        if m["role"] == "assistant":
            uses = [b["id"] for b in content if b["type"] == "tool_use"]
            nxt = msgs[i + 1]["content"] if isinstance(msgs[i + 1]["content"], list) else []
            assert uses == [b["tool_use_id"] for b in nxt if b.get("type") == "tool_result"]
        elif i:
            prev = msgs[i - 1]["content"]
            ids = {b["tool_use_id"] for b in content if b["type"] == "tool_result"}
            assert ids <= {b.get("id") for b in prev if b.get("type") == "tool_use"}


def norm(obj):
    """Drop cache_control, injected reminders and edge whitespace (what the transcript cannot hold)."""
    if isinstance(obj, dict):
        return {k: norm(v) for k, v in obj.items() if k != "cache_control"}
    if isinstance(obj, list):
        return [norm(v) for v in obj]
    return REMINDER.sub("", obj).strip() if isinstance(obj, str) else obj


@pytest.mark.parametrize("run", RUNS)
def test_every_legacy_run_imports(legacy: Path, run: str) -> None:
    records = raw_records(legacy / run / "proxy.jsonl")
    result = load_exchanges(legacy / run)
    assert result.format == "legacy-proxy" == detect_format(legacy / run / "proxy.jsonl")
    assert len(result.sessions) == 1 and result.warnings == []
    exchanges = result.exchanges
    assert len(exchanges) == sum(r["type"] == "request" for r in records)
    assert result.counts.get("skipped_trimming", 0) == sum(r["type"] == "trimming" for r in records)
    assert any("tool definitions" in m for m in result.missing)
    responses = [r for r in records if r["type"].startswith("response")]
    for ex, resp in zip(exchanges, responses):
        assert_valid_request(ex.body)
        assert ex.body["system"] and ex.body["stream"] is True and ex.path == "/v1/messages"
        assert "tools" not in ex.body
        assert ex.response.usage == resp["usage"] and ex.response.status == resp["status_code"] == 200
        assert ex.ts > 0 and ex.source.startswith("legacy-proxy:")


@pytest.mark.parametrize("run,count", EXPECTED_REQUESTS.items())
def test_request_counts(legacy: Path, run: str, count: int) -> None:
    assert len(load_exchanges(legacy / run / "proxy.jsonl").exchanges) == count
    assert len(load_exchanges(legacy / run / "transcript.jsonl").exchanges) == count


@pytest.mark.parametrize("run", RUNS)
def test_lookahead_content_is_next_requests_assistant_message(legacy: Path, run: str) -> None:
    exchanges = load_exchanges(legacy / run).exchanges
    for cur, nxt in zip(exchanges, exchanges[1:]):
        expected = strip_markers(nxt.body["messages"][len(cur.body["messages"])])
        assert expected["role"] == "assistant" and cur.response.content == expected["content"]
        assert "cache_control" not in json.dumps(cur.response.content)
        if any(b["type"] == "tool_use" for b in cur.response.content):
            assert cur.response.stop_reason == "tool_use"
    assert exchanges[-1].response.content == [] and exchanges[-1].response.usage


@pytest.mark.parametrize("run", RUNS)
def test_transcript_rebuilds_the_proxy_requests(legacy: Path, run: str) -> None:
    """Transcript-rebuilt histories equal what the proxy saw, except injected reminders and cache markers."""
    result = load_exchanges(legacy / run / "transcript.jsonl")
    assert result.format == "cc-transcript" and len(result.sessions) == 1 and result.warnings == []
    assert any("system prompt" in m for m in result.missing)
    proxy = load_exchanges(legacy / run).exchanges
    for ex, ref in zip(result.exchanges, proxy, strict=True):
        assert_valid_request(ex.body)
        assert "caller" not in json.dumps(ex.body)
        assert len(ex.body["messages"]) == len(ref.body["messages"])
        assert norm(ex.body["messages"][1:]) == norm(ref.body["messages"][1:])
        if ref.response.content:
            assert ex.response.content == ref.response.content


def test_transcript_reassembles_split_assistant_messages(legacy: Path) -> None:
    path = legacy / "test_author_run1" / "transcript.jsonl"
    first_id = next(r["message"]["id"] for r in raw_records(path) if r["type"] == "assistant")
    lines = [r for r in raw_records(path) if r["type"] == "assistant" and r["message"]["id"] == first_id]
    ex = load_exchanges(path).exchanges[0]
    assert len(lines) == 4
    assert [b["type"] for b in ex.response.content] == ["text", "tool_use", "tool_use", "tool_use"]
    assert ex.response.stop_reason == "tool_use" and ex.response.usage["output_tokens"] == 202
    prompt = next(r for r in raw_records(path) if r["type"] == "user")["message"]["content"]
    assert ex.body["messages"] == [{"role": "user", "content": prompt}]
    assert lines[0]["message"]["content"][0]["text"] == ex.response.content[0]["text"]


def test_transcript_collects_parallel_tool_results_from_sibling_branches(legacy: Path) -> None:
    """run2: the first tool result hangs off another branch of the parentUuid tree; it must still be sent."""
    ex = load_exchanges(legacy / "test_author_run2" / "transcript.jsonl").exchanges[1]
    uses = [b["id"] for b in ex.body["messages"][1]["content"] if b["type"] == "tool_use"]
    results = [b["tool_use_id"] for b in ex.body["messages"][2]["content"]]
    assert len(uses) == 3 and results == uses


def _interleave(path: Path, pairs: list[tuple[dict, dict, float, float]]) -> None:
    """Write request/response records at synthetic start/end times, in event order (as a proxy would)."""
    base = datetime(2026, 3, 2, tzinfo=timezone.utc)
    events = []
    for req, resp, start, dur in pairs:
        events.append((start, {**req, "timestamp": (base + timedelta(seconds=start)).isoformat()}))
        events.append((start + dur, {**resp, "timestamp": (base + timedelta(seconds=start + dur)).isoformat(),
                                     "duration_ms": int(dur * 1000)}))
    path.write_text("\n".join(json.dumps(r) for _, r in sorted(events, key=lambda e: e[0])) + "\n")


def test_interleaved_subagent_requests_are_paired_and_split(legacy: Path, tmp_path: Path) -> None:
    def pairs(run: str) -> list[tuple[dict, dict]]:
        recs = raw_records(legacy / run / "proxy.jsonl")
        return list(zip([r for r in recs if r["type"] == "request"], [r for r in recs if r["type"] != "request"]))

    a, b = pairs("test_author_run1")[:4], pairs("test_author_run2")[:3]
    timing_a, timing_b = [(0, 5), (10, 5), (20, 8), (30, 1)], [(3, 6), (12, 10), (21, 2)]  # b[2] ends before a[2]
    _interleave(tmp_path / "proxy.jsonl", [(*p, *t) for p, t in zip(a, timing_a)] +
                [(*p, *t) for p, t in zip(b, timing_b)])
    result = load_exchanges(tmp_path / "proxy.jsonl")
    assert result.counts["interleaved_responses"] >= 3 and result.warnings == []
    assert [len(s) for s in result.sessions.values()] == [4, 3]
    for exchanges, source in zip(result.sessions.values(), (a, b)):
        for ex, (req, resp) in zip(exchanges, source):
            assert ex.body["messages"] == req["messages_full"] and ex.response.usage == resp["usage"]
        for cur, nxt in zip(exchanges, exchanges[1:]):
            assert cur.response.content == strip_markers(nxt.body["messages"][len(cur.body["messages"])]["content"])
