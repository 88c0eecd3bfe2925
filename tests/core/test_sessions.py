"""Session identity and client-side history edits."""
from __future__ import annotations

import copy
import json

from .helpers import Conversation, engine, tool_result_texts


def test_moved_cache_markers_keep_one_session_without_metadata():
    eng, conv = engine(), Conversation()
    for i in range(6):
        conv.read(f"/f{i}.py")
        body = conv.body()
        body.pop("metadata")
        # move markers around the way Claude Code does: on the first message too, every other turn
        if i % 2:
            body["messages"][0]["content"][0]["cache_control"] = {"type": "ephemeral"}
        eng.handle_request(body, {})
    assert len(eng.sessions) == 1
    assert next(iter(eng.sessions.values())).stats.requests == 6


def test_client_metadata_and_header_identify_the_session():
    eng = engine()
    a, b = Conversation("A"), Conversation("B", prompt="Please work on the project.")
    for conv in (a, b):
        conv.read("/x.py")
        eng.handle_request(conv.body(), {})
    assert len(eng.sessions) == 2            # same first message, different metadata session ids
    body = a.body()
    body["metadata"] = {"user_id": json.dumps({"device_id": "d", "session_id": "zzz"})}
    r1 = eng.handle_request(body, {"X-Claude-Code-Session-Id": "zzz"})
    r2 = eng.handle_request(copy.deepcopy(body), {"x-claude-code-session-id": "zzz"})
    assert r1.session_id == r2.session_id


def test_subagent_is_a_separate_session_with_a_parent():
    eng = engine()
    main, sub = Conversation("S"), Conversation("S", prompt="Search the codebase for X (subagent task).")
    main.read("/a.py")
    r_main = eng.handle_request(main.body(), {})
    sub.read("/b.py")
    r_sub = eng.handle_request(sub.body(), {})
    assert r_main.session_id != r_sub.session_id
    assert eng.sessions[r_sub.session_id].parent == r_main.session_id
    assert "subagent" in eng.sessions[r_sub.session_id].client


def test_microcompact_clear_is_absorbed_not_counted_as_our_eviction():
    eng, conv = engine(), Conversation()
    conv.read("/a.py")
    eng.handle_request(conv.body(), {})
    conv.read("/b.py")
    eng.handle_request(conv.body(), {})
    conv.messages[2]["content"][0]["content"] = "[Old tool result content cleared]"   # the client clears /a.py
    conv.read("/c.py")
    r = eng.handle_request(conv.body(), {})
    s = eng.state()["sessions"][0]
    a = next(p for p in s["pages"] if p["address"] == "/a.py" and p["kind"] == "tool_result")
    assert a["state"] == "cleared-by-client"
    assert s["stats"]["cleared_by_client"] == 1 and s["stats"]["evictions"] == 0
    assert s["stats"]["evicted_tokens"] == 0
    assert any(e.kind == "page_cleared_by_client" for e in r.events)
    for i in range(5):                       # later ageing never evicts (or counts) the cleared page
        conv.bash(f"x{i}", lines=2)
        r = eng.handle_request(conv.body(), {})
    s = eng.state()["sessions"][0]
    assert s["stats"]["evictions"] == 2      # /b.py and /c.py only
    assert tool_result_texts(r.outbound)[0] == "[Old tool result content cleared]"


def test_rewritten_history_starts_a_new_epoch_and_clears_pages():
    eng, conv = engine(), Conversation("R")
    for i in range(3):
        conv.read(f"/f{i}.py")
        r = eng.handle_request(conv.body(), {})
    sid = r.session_id
    # /clear-like rewrite under the same client session: history replaced by a continuation summary
    conv2 = Conversation("R", prompt="This session is being continued from a previous conversation. Summary: ...")
    conv2.read("/g.py")
    r2 = eng.handle_request(conv2.body(), {})
    assert r2.session_id == sid
    s = eng.sessions[sid]
    assert s.epoch == 1
    cleared = [p for p in s.pages.values() if p.state.value == "cleared-by-client"]
    assert len(cleared) >= 3
    assert s.stats.evictions == 0
    assert any(e.kind == "client_cleared" and e.data["reason"] == "compact" for e in r2.events)


def test_truncated_history_rewinds_without_double_counting():
    eng, conv = engine(), Conversation()
    for i in range(4):
        conv.read(f"/f{i}.py")
        eng.handle_request(conv.body(), {})
    conv.messages = conv.messages[:5]       # the user rewinds two tool turns
    conv.read("/other.py")
    r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    assert s.turn == 4
    live = [p for p in s.pages.values() if p.kind.value == "tool_result" and p.state.value != "cleared-by-client"]
    assert sorted(p.address for p in live) == ["/f0.py", "/f1.py", "/other.py"]
    assert s.resident_tokens + s.evicted_tokens + s.header_tokens == r.tokens_in


def test_side_requests_without_tools_are_not_sessions():
    eng, conv = engine(), Conversation()
    body = conv.body()
    body.pop("tools")
    r = eng.handle_request(body, {})
    assert r.side and r.outbound is body and not eng.sessions and eng.side_requests == 1


def test_malformed_body_raises_value_error_for_fail_open():
    eng = engine()
    import pytest

    with pytest.raises(ValueError):
        eng.handle_request({"messages": "nope", "tools": [{"name": "x"}]}, {})
    with pytest.raises(ValueError):
        eng.handle_request({"messages": [1, 2], "tools": [{"name": "x"}]}, {})


def test_identical_resend_is_not_a_new_request_but_an_edited_last_message_is():
    eng, conv = engine(), Conversation()
    for i in range(3):
        conv.read(f"/f{i}.py")
        r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    assert s.stats.requests == 3
    eng.handle_request(conv.body(), {})                  # a client retry of the same request
    assert s.stats.requests == 3
    conv.messages[-1]["content"][0]["content"] = "edited result " * 60
    eng.handle_request(conv.body(), {})                  # same length, different last message: a new request
    assert s.stats.requests == 4
