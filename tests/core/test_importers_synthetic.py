"""Importer edge cases on small synthetic files: detection, empty/corrupt/truncated input, threads, FIFO pairing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pichay_tui.core.recording.importers import UnsupportedFormat, detect_format, load_exchanges


def write(path: Path, *records: dict, tail: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)
    return path


def req(text: str, *more: dict, ts: str | None = None) -> dict:
    rec = {"type": "request", "model": "m", "max_tokens": 10, "stream": True, "total_request_bytes": 99,
           "system_prompt_full": "sys", "messages_full": [{"role": "user", "content": text}, *more]}
    return rec | ({"timestamp": ts} if ts else {})


def resp(out: int, status: int = 200) -> dict:
    return {"type": "response_stream", "status_code": status, "usage": {"input_tokens": 1, "output_tokens": out}}


def rec(kind: str, uuid: str, parent: str | None, content, mid: str | None = None, **extra) -> dict:
    message = {"role": kind, "content": content}
    if kind == "assistant":
        message |= {"id": mid, "model": extra.pop("model", "m"), "stop_reason": extra.pop("stop", None),
                    "usage": {"output_tokens": extra.pop("out", 1)}}
    return {"type": kind, "uuid": uuid, "parentUuid": parent, "sessionId": "S", "isSidechain": False,
            "message": message, "timestamp": "2026-03-02T00:00:00Z", **extra}


def tool_use(tid: str) -> list[dict]:
    return [{"type": "tool_use", "id": tid, "name": "Read", "input": {"file_path": "/f"}, "caller": {"type": "d"}}]


def tool_result(tid: str) -> list[dict]:
    return [{"type": "tool_result", "tool_use_id": tid, "content": "x"}]


def test_detect_format(tmp_path: Path) -> None:
    header = {"type": "header", "format": "pichay-recording", "version": 1}
    assert detect_format(write(tmp_path / "r.jsonl", header, req("hi"))) == "recording"
    assert detect_format(write(tmp_path / "p.jsonl", req("hi"), resp(1))) == "legacy-proxy"
    assert detect_format(write(tmp_path / "t.jsonl", {"type": "summary", "summary": "s"},
                               rec("user", "u1", None, "hi"))) == "cc-transcript"
    assert detect_format(write(tmp_path / "j.jsonl", {"type": "system", "session_id": "x"})) == "unknown"
    assert detect_format(write(tmp_path / "o.jsonl", {"hello": 1})) == "unknown"
    assert detect_format(tmp_path / "missing.jsonl") == "unknown"
    with pytest.raises(UnsupportedFormat, match="recording reader"):
        load_exchanges(tmp_path / "r.jsonl")


@pytest.mark.parametrize("content,reason", [("", "empty"), ("not json at all\n", "not JSON lines"),
                                            ('{"a": 1}\n[1, 2]\n', "unknown format"), ("\x00\x01\x02", "not JSON lines")])
def test_unreadable_files_raise_a_clear_error(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "f.jsonl").write_text(content)
    with pytest.raises(UnsupportedFormat, match=reason):
        load_exchanges(tmp_path / "f.jsonl")
    with pytest.raises(UnsupportedFormat, match="no such file"):
        load_exchanges(tmp_path / "nope.jsonl")


def test_legacy_truncated_last_line_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "proxy.jsonl", req("hi"), resp(5), req("hi", {"role": "assistant", "content": "yo"},
                 {"role": "user", "content": "more"}), tail='{"type": "response_stream", "status_')
    result = load_exchanges(path)
    assert [len(s) for s in result.sessions.values()] == [2]
    assert any("truncated last line" in w for w in result.warnings)
    assert any("without a response" in w for w in result.warnings)
    first, second = result.exchanges
    assert first.response.content == [{"type": "text", "text": "yo"}] and first.response.usage["output_tokens"] == 5
    assert second.response is None and first.headers["x-pichay-import-total-request-bytes"] == "99"


def test_legacy_fifo_pairing_without_timestamps_and_session_split(tmp_path: Path) -> None:
    marked = {"role": "user", "content": [{"type": "text", "text": "main", "cache_control": {"type": "ephemeral"}}]}
    path = write(tmp_path / "proxy.jsonl", req("main"), req("sub"), resp(1), resp(2, status=529),
                 {"type": "trimming", "request_num": 2}, req("main") | {"messages_full": [marked]}, resp(3))
    result = load_exchanges(path)
    assert [len(s) for s in result.sessions.values()] == [2, 1]  # cache_control does not split a session
    main, sub = result.sessions.values()
    assert [ex.response.usage["output_tokens"] for ex in main] == [1, 3]
    assert sub[0].response.status == 529 and sub[0].response.error == "HTTP 529"
    assert result.counts["skipped_trimming"] == 1 and result.counts["interleaved_responses"] == 1


def test_transcript_threads_subagents_and_synthetic_messages(tmp_path: Path) -> None:
    main = write(tmp_path / "S.jsonl", {"type": "queue-operation", "operation": "enqueue", "sessionId": "S"},
                 rec("user", "u1", None, "go"),
                 rec("assistant", "a1", "u1", [{"type": "text", "text": "reading"}], "m1"),
                 rec("assistant", "a2", "a1", tool_use("t1"), "m1"),
                 rec("assistant", "a3", "a2", tool_use("t2"), "m1", stop="tool_use", out=40),
                 rec("user", "r2", "a3", tool_result("t2")), rec("user", "r1", "a2", tool_result("t1")),
                 rec("assistant", "x1", "r2", [{"type": "text", "text": "API Error"}], "mx", model="<synthetic>"),
                 rec("assistant", "b1", "r2", [{"type": "text", "text": "done"}], "m2", stop="end_turn"))
    sub = tmp_path / "S" / "subagents"
    sub.mkdir(parents=True)
    write(sub / "agent-7.jsonl", rec("user", "s1", None, "sub task", isSidechain=True, agentId="7"),
          rec("assistant", "s2", "s1", [{"type": "text", "text": "ok"}], "m9", isSidechain=True, agentId="7"))
    result = load_exchanges(main)
    assert list(result.sessions) == ["S", "S/agent-7"] and result.counts["synthetic_assistant_skipped"] == 1
    first, second = result.sessions["S"]
    assert [b["type"] for b in first.response.content] == ["text", "tool_use", "tool_use"]
    assert first.response.usage == {"output_tokens": 40} and first.response.stop_reason == "tool_use"
    assert "caller" not in json.dumps(first.response.content)
    assert [b["tool_use_id"] for b in second.body["messages"][2]["content"]] == ["t1", "t2"]
    assert second.body["messages"][1]["content"] == first.response.content
    assert result.sessions["S/agent-7"][0].body["messages"] == [{"role": "user", "content": "sub task"}]
    assert load_exchanges(tmp_path).format == "cc-transcript"


def test_transcript_compaction_boundary_and_truncation(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", rec("user", "u1", None, "old"),
                 rec("assistant", "a1", "u1", [{"type": "text", "text": "x"}], "m1"),
                 {"type": "system", "subtype": "compact_boundary", "uuid": "c1", "parentUuid": None,
                  "logicalParentUuid": "a1", "sessionId": "S"},
                 rec("user", "u2", "c1", "summary of before", isCompactSummary=True),
                 rec("assistant", "a2", "u2", [{"type": "text", "text": "y"}], "m2"),
                 tail='{"type": "user", "uuid": "u3", "parentU')
    result = load_exchanges(path)
    assert any("truncated last line" in w for w in result.warnings)
    assert result.exchanges[1].body["messages"] == [{"role": "user", "content": "summary of before"}]
