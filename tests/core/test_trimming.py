"""Lossless trimming: tool stubs when they pay for their cache miss, restore on first use, reminder dedup."""
from __future__ import annotations

import json

from pichay_tui.core.model.validate import validate_request

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


def test_a_collapse_that_hides_the_first_copy_of_a_reminder_repoints_the_repeats():
    """A repeat says "Same reminder as in message N"; when a collapse takes message N out of view, the first repeat
    after the span shows the full text again and later repeats point at it (issue 9: every pointer must work)."""
    from pichay_tui.core.lab.synthetic import Conversation

    from .helpers import engine

    rem = "<system-reminder>" + "Keep the tests green and never edit generated files. " * 12 + "</system-reminder>"
    eng, conv = engine(age_threshold=50), Conversation()
    for i in range(6):
        conv.bash(f"step {i}", lines=2)
        conv.messages[-1]["content"].append({"type": "text", "text": rem})
        r = eng.handle_request(conv.body(), {})
    texts = [(mi, b["text"]) for mi, m in enumerate(r.outbound["messages"]) if isinstance(m["content"], list)
             for b in m["content"] if b.get("type") == "text" and "reminder" in b["text"].lower()]
    assert texts[0][1] == rem and all("Same reminder as in message 3" in t for _, t in texts[1:])
    s = next(iter(eng.sessions.values()))
    eng.command("session.collapse", session=s.id, first=2, last=3, summary="ran steps 0-1")
    conv.bash("step 6", lines=2)
    r = eng.handle_request(conv.body(), {})
    texts = [b["text"] for m in r.outbound["messages"] if isinstance(m["content"], list)
             for b in m["content"] if b.get("type") == "text"]
    at = next(i for i, t in enumerate(texts) if t.startswith("[Summary of turns 2-3"))
    after = [t for t in texts[at + 1:] if "reminder" in t.lower()]
    # the first repeat after the span (client message 7, turn 4) carries the text; later repeats point at it
    assert after[0] == rem and after[1:] and all("Same reminder as in message 7;" in t for t in after[1:])
    assert conv.messages[6]["content"][-1]["text"] == rem
