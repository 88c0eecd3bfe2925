"""Lossless trimming: tool stubs when they pay for their cache miss, restore on first use, reminder dedup."""
from __future__ import annotations

import json

from pichay_tui.core.validate import validate_request

from .helpers import Conversation, engine


def tool_sizes(body):
    return {t["name"]: len(json.dumps(t)) for t in body["tools"]}


def test_never_stubs_on_first_request_then_stubs_unused_and_restores_on_use():
    eng, conv = engine(trim_tools=True, policy_args={"trim_expected_turns": 1000}), Conversation()
    conv.read("/a.py")
    r1 = eng.handle_request(conv.body(), {})
    assert all("schema trimmed" not in t["description"] for t in r1.outbound["tools"])
    conv.read("/b.py")
    r2 = eng.handle_request(conv.body(), {})
    by_name = {t["name"]: t for t in r2.outbound["tools"]}
    assert "schema trimmed" not in by_name["Read"]["description"]            # used: full definition
    assert "schema trimmed" in by_name["Grep"]["description"]                # unused: stubbed
    assert len(json.dumps(by_name["Grep"])) < 250
    assert any(e.kind == "sweep_applied" and e.data.get("tools_stubbed") for e in r2.events)
    conv.call("Grep", {"pattern": "x", "path": "/"}, "no matches")           # the model calls a stubbed tool
    r3 = eng.handle_request(conv.body(), {})
    by_name = {t["name"]: t for t in r3.outbound["tools"]}
    assert by_name["Grep"] == next(t for t in conv.body()["tools"] if t["name"] == "Grep")
    assert any(e.data.get("tools_restored") == ["Grep"] for e in r3.events)


def test_stubbing_skipped_when_cache_cost_outweighs_savings():
    eng, conv = engine(trim_tools=True, policy_args={"trim_expected_turns": 1}), Conversation()
    for i in range(3):
        conv.read(f"/f{i}.py")
        r = eng.handle_request(conv.body(), {})
    assert all("schema trimmed" not in t["description"] for t in r.outbound["tools"])
    s = eng.sessions[r.session_id]
    assert s.trim_decided and not s.trim_on and s.trim_estimate["tokens_saved_per_request"] > 0


def test_repeated_system_reminders_point_at_first_copy():
    eng, conv = engine(), Conversation()
    skills = "<system-reminder>Available skills:\n" + "\n".join(f"- skill{i}: does thing {i}" for i in range(40)) + \
        "\n</system-reminder>"
    conv.messages[0]["content"].append({"type": "text", "text": skills})
    conv.read("/a.py")
    conv.messages[-1]["content"].append({"type": "text", "text": skills})     # the client repeats it
    r = eng.handle_request(conv.body(), {})
    texts = [b.get("text", "") for m in r.outbound["messages"] for b in m["content"] if b.get("type") == "text"]
    assert texts.count(skills) == 1
    assert any("Same reminder as in message 1" in t for t in texts)
    assert validate_request(r.outbound) == []
    conv.read("/b.py")
    r2 = eng.handle_request(conv.body(), {})
    assert r2.outbound["messages"][2] == r.outbound["messages"][2] or \
        r2.outbound["messages"][2]["content"][1] == r.outbound["messages"][2]["content"][1]
