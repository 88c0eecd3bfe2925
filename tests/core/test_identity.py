"""Session identity is robust to the client's re-encoding (issue 9, failure 3).

Quoted from issue 9: "Claude Code 2.0.77 sends the first user message as a list of blocks with `cache_control` on
request 1 and as a plain string afterwards: one conversation became two sessions (the real one labelled a subagent).
Claude Code's warm-up agents (Bash/Explore/Plan: different system prompts and tool sets, same first text "Warmup")
were merged into one session." The shapes below are those 2.0.77 sent to the scripted upstream (captured while
writing this test): the main agent offers Task; the warm-ups offer 1 and 11 tools and no Task.
"""
from __future__ import annotations

import copy

from pichay_tui.core.lab.synthetic import TOOLS

from .helpers import Conversation, engine

UID = {"user_id": "user_16059e72_account__session_1b35e7aa-0296-46f6-b981-ddd0d169bc98"}
PROMPT = "[sim-script:subagents] Audit the inventory project, delegating storage and pricing to a sub-agent."


def tool(name: str) -> dict:
    return {"name": name, "description": f"{name} tool", "input_schema": {"type": "object"}}


MAIN_TOOLS = [tool(n) for n in ("Task", "Bash", "Glob", "Grep", "Read", "Edit", "Write", "WebFetch", "TodoWrite")]
WARMUPS = {   # agent -> (system prompt, tools)
    "Bash": ("You are a command execution specialist for Claude Code.", [tool("Bash")]),
    "Explore": ("You are a file search specialist for Claude Code.",
                [tool(n) for n in ("Bash", "Glob", "Grep", "Read", "WebFetch", "TodoWrite", "WebSearch")]),
    "Plan": ("You are a software architect and planning specialist for Claude Code.",
             [tool(n) for n in ("Bash", "Glob", "Grep", "Read", "WebFetch", "TodoWrite", "WebSearch")]),
}


def body(messages, system="You are Claude Code, Anthropic's official CLI for Claude.", tools=None):
    return {"model": "claude-sonnet", "max_tokens": 1024, "stream": True, "metadata": UID,
            "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
            "tools": tools or MAIN_TOOLS, "messages": copy.deepcopy(messages)}


def warmup(agent: str, as_string: bool) -> dict:
    system, tools = WARMUPS[agent]
    content = "Warmup" if as_string else [{"type": "text", "text": "Warmup", "cache_control": {"type": "ephemeral"}}]
    return body([{"role": "user", "content": content}], system, tools)


def test_string_first_message_after_blocks_with_cache_control_is_one_session():
    eng = engine()
    first = [{"role": "user", "content": [{"type": "text", "text": PROMPT, "cache_control": {"type": "ephemeral"}}]}]
    r1 = eng.handle_request(body(first))
    history = [{"role": "user", "content": PROMPT},                # request 2 on: a plain string
               {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Read",
                                                  "input": {"file_path": "/w/a.py"}}]},
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "x" * 900}]}]
    r2 = eng.handle_request(body(history))
    assert r1.session_id == r2.session_id and len(eng.sessions) == 1
    s = eng.sessions[r1.session_id]
    assert s.parent is None and "subagent" not in s.client and s.stats.requests == 2
    assert s.epoch == 0                                           # not a rewrite either


def test_blocks_without_cache_control_and_string_are_one_session():
    eng = engine()
    ids = {eng.handle_request(body([{"role": "user", "content": c}])).session_id
           for c in (PROMPT, [{"type": "text", "text": PROMPT}])}
    assert len(ids) == 1


def test_warmup_agents_with_the_same_first_text_are_separate_child_sessions():
    eng = engine()
    main = eng.handle_request(body([{"role": "user", "content": PROMPT}])).session_id
    ids = {a: eng.handle_request(warmup(a, as_string=False)).session_id for a in WARMUPS}
    assert len(set(ids.values())) == 3 and main not in ids.values()
    for sid in ids.values():
        assert eng.sessions[sid].parent == main and "subagent" in eng.sessions[sid].client
    # each warm-up again (2.0.77 re-sends the first text as a string): still its own session
    again = {a: eng.handle_request(warmup(a, as_string=True)).session_id for a in WARMUPS}
    assert again == ids and len(eng.sessions) == 4


def test_warmups_arriving_before_the_main_conversation_do_not_become_its_parent():
    eng = engine()
    first = eng.handle_request(warmup("Bash", as_string=False)).session_id
    main = eng.handle_request(body([{"role": "user", "content": PROMPT}])).session_id
    sub = eng.handle_request(body([{"role": "user", "content": "[sim-subagent] Read storage.py"}],
                                  "You are an agent for Claude Code.", MAIN_TOOLS[1:])).session_id
    assert eng.sessions[sub].parent == main                 # the conversation that can spawn subagents
    assert eng.sessions[main].parent == first               # (the client id is shared; a warm-up came first)


def test_a_tool_added_mid_conversation_keeps_the_session():
    eng, conv = engine(), Conversation()
    conv.read("/a.py")
    r1 = eng.handle_request(conv.body())
    conv.read("/b.py")
    b = conv.body()
    b["tools"] = TOOLS + [tool("mcp__late__connect")]        # an MCP server connected late
    r2 = eng.handle_request(b)
    assert r1.session_id == r2.session_id and len(eng.sessions) == 1


def test_a_different_system_prompt_with_the_same_first_text_is_another_session():
    eng = engine()
    a = eng.handle_request(body([{"role": "user", "content": "hello"}], "You are agent A.")).session_id
    b = eng.handle_request(body([{"role": "user", "content": "hello"}], "You are agent B.")).session_id
    assert a != b
