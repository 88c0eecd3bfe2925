"""The scripted model is stateless: it finds its step from the request and verifies what it was shown."""
from __future__ import annotations

import copy

import pytest

from pichay_tui.sim.agent import SimulatedAgent
from pichay_tui.sim.answers import answer_line
from pichay_tui.sim.model import SIDE_REPLY, decide
from pichay_tui.sim.script import get_script, script_prompt
from pichay_tui.sim.tool_defs import TOOLS

HANDLE = "[Paged out: Read {} (3,743 bytes, 116 lines). Re-read the file if you need its content.]"


@pytest.fixture
async def final_body(upstream, workdir):
    """The request that produced the coding script's final answer (all tool results present)."""
    url, state = upstream
    await SimulatedAgent(url, workdir, script="coding").run()
    return copy.deepcopy(state.message_bodies()[-1])


def _results(body):
    return [b for m in body["messages"] if m["role"] == "user" and isinstance(m["content"], list)
            for b in m["content"] if b.get("type") == "tool_result"]


def _answer(body, workdir):
    reply = decide(body, "coding", str(workdir))
    assert reply.stop_reason == "end_turn"
    return answer_line(reply.content[0]["text"])


async def test_survives_eviction_of_old_results(final_body, workdir):
    users = [i for i, m in enumerate(final_body["messages"]) if m["role"] == "user"]
    for i in users[:-4]:  # FIFO age >= 4: every old tool result becomes a handle
        for b in final_body["messages"][i]["content"]:
            if b.get("type") == "tool_result":
                b["content"] = HANDLE.format("x")
    assert _answer(final_body, workdir) == "reread=amber edit=ok verify=ember-2"


async def test_survives_collapse_of_old_turns(final_body, workdir):
    final_body["messages"] = final_body["messages"][:1] + final_body["messages"][-8:]
    assert _answer(final_body, workdir) == "reread=amber edit=ok verify=ember-2"


async def test_detects_missing_or_corrupted_results(final_body, workdir):
    results = {b["tool_use_id"][:14]: b for b in _results(final_body)}
    reread, edit = results["toolu_sim_0010"], results["toolu_sim_0008"]
    original = reread["content"]
    reread["content"] = HANDLE.format("models.py")
    assert _answer(final_body, workdir).startswith("reread=MISSING ")
    lines = original.split("\n")
    reread["content"] = "\n".join(lines[:40] + lines[60:])  # 20 lines silently dropped
    assert _answer(final_body, workdir).startswith("reread=GARBLED ")
    reread["content"] = original.replace('PICHAY_MARKER = "amber"', 'PICHAY_MARKER = "umber"')
    assert _answer(final_body, workdir).startswith("reread=GARBLED ")
    reread["content"] = original
    edit["is_error"] = True
    assert _answer(final_body, workdir) == "reread=amber edit=error verify=ember-2"


async def test_unchanged_notice_needs_the_earlier_read(final_body, workdir):
    results = {b["tool_use_id"][:14]: b for b in _results(final_body)}
    results["toolu_sim_0010"]["content"] = "File unchanged since last read. Refer to the earlier Read."
    assert _answer(final_body, workdir).startswith("reread=amber ")
    results["toolu_sim_0002"]["content"] = HANDLE.format("models.py")  # ... which a pager evicted
    assert _answer(final_body, workdir).startswith("reread=MISSING ")


def test_first_step_side_requests_and_fallbacks(workdir):
    body = {"tools": TOOLS, "messages": [{"role": "user", "content": script_prompt("coding", str(workdir))}]}
    first = decide(body, "coding", str(workdir))
    assert first.step == 0 and first.content[-1]["name"] == "Glob"
    assert decide(body, "coding", str(workdir)).content == first.content  # deterministic
    no_glob = dict(body, tools=[t for t in TOOLS if t["name"] != "Glob"])
    fallback = decide(no_glob, "coding", str(workdir)).content[-1]
    assert fallback["name"] == "Bash" and fallback["input"]["command"].startswith("find ")
    side = decide({"messages": [{"role": "user", "content": "title?"}]}, "coding", str(workdir))
    assert side.content == [{"type": "text", "text": SIDE_REPLY}] and side.stop_reason == "end_turn"


def test_cooperative_uses_phantom_tools_and_cleanup_tags(workdir):
    tools = TOOLS + [{"name": "memory_release", "description": "", "input_schema": {"type": "object"}},
                     {"name": "memory_fault", "description": "", "input_schema": {"type": "object"}}]
    msgs = [{"role": "user", "content": script_prompt("cooperative")}]
    for step in range(2):
        reply = decide({"tools": tools, "messages": msgs}, "coding", str(workdir))
        use = reply.content[-1]
        content = "     1\tbody [page block:p7]" if step == 1 else "x"
        msgs += [{"role": "assistant", "content": reply.content},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use["id"], "content": content}]}]
    reply = decide({"tools": tools, "messages": msgs}, "coding", str(workdir))
    assert reply.content[-1]["name"] == "memory_release"
    assert reply.content[-1]["input"] == {"paths": [f"{workdir}/inventory/models.py"]}
    assert "<memory_cleanup>\ndrop: block:p7\n</memory_cleanup>" in reply.content[0]["text"]
    plain = decide({"tools": TOOLS, "messages": msgs}, "coding", str(workdir))
    assert plain.content[-1]["name"] == "Read"


def test_script_shapes():
    coding = get_script("coding", "/w")
    assert sum(1 for s in coding.steps if not hasattr(s, "text")) >= 10
    long = get_script("long", "/w")
    assert len(long.steps) == 151
    with pytest.raises(KeyError):
        get_script("nope", "/w")


def test_warmups_get_a_short_text_and_no_tool_calls(workdir):
    """Claude Code's Bash/Explore/Plan warm-ups send one message "Warmup"; the real API answers with text, so each
    warm-up stays one request (before, the sim ran its default script on them: 17-message warm-up conversations)."""
    for content in ("Warmup", "warm-up", [{"type": "text", "text": "Warmup", "cache_control": {"type": "ephemeral"}}],
                    [{"type": "text", "text": "<system-reminder>\nAs you answer, keep this in mind.\n"
                                              "</system-reminder>"}, {"type": "text", "text": "Warmup"}]):
        reply = decide({"tools": TOOLS, "messages": [{"role": "user", "content": content}]}, "coding", str(workdir))
        assert reply.stop_reason == "end_turn" and [b["type"] for b in reply.content] == ["text"]
    for prompt in ("[sim-script:coding]", "start", "Warmup the caches, then fix the tests",
                   script_prompt("coding", str(workdir))):
        reply = decide({"tools": TOOLS, "messages": [{"role": "user", "content": prompt}]}, "coding", str(workdir))
        assert reply.stop_reason == "tool_use", prompt
