"""Tool classes (issue 9): subagent reports and costly results are addressable, GC never destroys, keep is kept.

Failure quoted from issue 9: Claude Code >= 2.1.331 hands a subagent's report back as a ~900 B tool_result, and tau
turns later it became `[Cleared stale output: Agent … It was transient output; re-run the command if you need it
again.]` with no memory_fault offer.
"""
from __future__ import annotations

import pytest

from pichay_tui.core.model.tool_classes import ADDRESSABLE, GC, KEEP, class_table, parse_tool_classes, tool_class

from .helpers import Conversation, engine, tool_result_texts

# the shape of a Claude Code 2.1.33x Agent result: the report plus the agent's bookkeeping, ~900 bytes in all
REPORT = ("SUBAGENT-REPORT: storage=basalt pricing=cobalt\n"
          + "Findings: the storage layer keeps one JSON file per SKU; pricing applies a 7% surcharge. " * 10)
AGENT_INPUT = {"description": "Audit storage and pricing", "subagent_type": "general-purpose",
               "prompt": "Read storage.py and pricing.py and report their PICHAY_MARKER values."}


def step(eng, conv):
    return eng.handle_request(conv.body(), {})


def agent_report_aged(eng, conv, tool="Agent", turns=5):
    conv.call(tool, AGENT_INPUT, [{"type": "text", "text": REPORT},
                                  {"type": "text", "text": "agentId: a583df5 (for resuming this agent)"}])
    r = step(eng, conv)
    for i in range(turns):
        conv.bash(f"ls {i}", lines=2)
        r = step(eng, conv)
    return r


@pytest.mark.parametrize("tool", ["Agent", "Task"])
def test_subagent_report_is_paged_with_an_address_not_cleared(tool):
    eng, conv = engine(), Conversation()
    assert 850 < len(REPORT) < 1000
    r = agent_report_aged(eng, conv, tool)
    handle = tool_result_texts(r.outbound)[0]
    assert handle.startswith(f"[Paged out: {tool} Audit storage and pricing")
    assert "Cleared stale output" not in handle and "transient" not in handle and "re-run the command" not in handle
    s = next(iter(eng.sessions.values()))
    page = next(p for p in s.pages.values() if p.tool == tool and p.kind.value == "tool_result")
    assert page.paged and page.state.value == "evicted" and f'memory_fault with "{page.id}"' in handle
    assert s.stats.evictions == 1                         # counted as paging, not GC
    got = eng.answer_phantom_calls(s.id, [{"id": "t1", "name": "memory_fault", "input": {"paths": [page.id]}}])
    assert got[0]["content"][0]["text"] == REPORT and not got[0].get("is_error")


def test_gc_output_is_kept_and_its_handle_never_asks_for_a_rerun():
    eng, conv = engine(), Conversation()
    conv.bash("make test", lines=40)
    step(eng, conv)
    for i in range(5):
        conv.read(f"/f{i}.py", lines=3)
        r = step(eng, conv)
    handle = tool_result_texts(r.outbound)[0]
    assert handle.startswith("[Cleared stale output: Bash make test")
    assert "re-run" not in handle.lower() and "memory_fault" in handle
    s = next(iter(eng.sessions.values()))
    assert (s.stats.gc, s.stats.evictions) == (1, 0)
    page = next(p for p in s.pages.values() if p.tool == "Bash" and p.kind.value == "tool_result")
    got = eng.answer_phantom_calls(s.id, [{"id": "t1", "name": "memory_fault", "input": {"paths": [page.id]}}])
    assert got[0]["content"] == conv.messages[2]["content"][0]["content"]
    assert s.stats.faults == 0                            # GC coming back is a restore, not a fault


def test_defaults_and_overrides():
    assert tool_class("Read") == tool_class("Agent") == tool_class("Task") == ADDRESSABLE
    assert tool_class("WebSearch") == tool_class("mcp__github__create_issue") == tool_class("MyTool") == ADDRESSABLE
    assert tool_class("Bash") == tool_class("TodoWrite") == GC
    over = parse_tool_classes(["Bash=addressable", "mcp__slow__*=keep", "TodoWrite=KEEP"])
    assert tool_class("Bash", over) == ADDRESSABLE and tool_class("mcp__slow__x", over) == KEEP
    assert tool_class("TodoWrite", over) == KEEP and tool_class("mcp__fast__x", over) == ADDRESSABLE
    assert ("Bash", ADDRESSABLE, "override") in class_table(over)
    for bad in (["Bash"], ["Bash=sometimes"], ["=gc"]):
        with pytest.raises(ValueError, match="expected NAME=CLASS"):
            parse_tool_classes(bad)


def test_keep_is_never_chosen_by_a_policy_and_gc_override_drops_the_address():
    eng, conv = engine(tool_classes={"Agent": KEEP, "Read": GC}), Conversation()
    agent_report_aged(eng, conv, turns=2)
    conv.read("/a.py")
    step(eng, conv)
    for i in range(6):
        conv.bash(f"x{i}", lines=2)
        step(eng, conv)
    s = next(iter(eng.sessions.values()))
    agent = next(p for p in s.pages.values() if p.tool == "Agent" and p.kind.value == "tool_result")
    read = next(p for p in s.pages.values() if p.tool == "Read" and p.kind.value == "tool_result")
    assert agent.state.value == "resident"
    assert read.state.value == "evicted" and not read.paged and s.stats.gc >= 1
    eng.command("page.evict", session=s.id, page=agent.id)     # the operator still can, and it stays reachable
    conv.bash("y", lines=2)
    r = step(eng, conv)
    assert agent.state.value == "evicted" and agent.id in tool_result_texts(r.outbound)[0]


def test_without_cooperative_mode_memory_fault_is_offered_once_a_handle_exists():
    eng, conv = engine(cooperative=False), Conversation()
    conv.read("/a.py")
    r = step(eng, conv)
    assert "memory_fault" not in [t["name"] for t in r.outbound["tools"]]
    for i in range(5):
        conv.bash(f"x{i}", lines=2)
        r = step(eng, conv)
    names = [t["name"] for t in r.outbound["tools"]]
    assert names[-1] == "memory_fault" and "memory_release" not in names
    s = next(iter(eng.sessions.values()))
    page = next(p for p in s.pages.values() if p.address == "/a.py" and p.kind.value == "tool_result")
    assert f'memory_fault with "{page.id}"' in tool_result_texts(r.outbound)[0]
    got = eng.answer_phantom_calls(s.id, [{"id": "t1", "name": "memory_fault", "input": {"paths": [page.id]}}])
    assert got[0]["content"] == conv.messages[2]["content"][0]["content"]
