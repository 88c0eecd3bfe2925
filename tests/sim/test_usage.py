"""The simulated prompt cache: reads the longest prefix ending at an earlier breakpoint."""
from __future__ import annotations

import copy

from pichay_tui.sim.usage import PromptCache, estimate_tokens

CC = {"type": "ephemeral"}


def _body(n_results, marker=True):
    msgs = [{"role": "user", "content": [{"type": "text", "text": "task " * 50}]}]
    for i in range(n_results):
        msgs.append({"role": "assistant", "content": [{"type": "tool_use", "id": f"t{i}", "name": "Read",
                                                       "input": {"file_path": f"/f{i}"}}]})
        msgs.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{i}",
                                                  "content": f"file {i} " * 400}]})
    body = {"model": "m", "system": [{"type": "text", "text": "sys " * 500, "cache_control": CC}],
            "tools": [{"name": "Read", "description": "d" * 2000, "input_schema": {}}], "messages": msgs}
    if marker:
        body["messages"][-1]["content"][-1]["cache_control"] = CC
    return body


def test_turn_two_reads_turn_one_and_marker_moves_are_ignored():
    cache = PromptCache()
    u1 = cache.usage(_body(1))
    assert u1["cache_read_input_tokens"] == 0 and u1["input_tokens"] == 0
    total1 = u1["cache_creation_input_tokens"]
    assert total1 == estimate_tokens(_body(1))
    u2 = cache.usage(_body(2))
    assert u2["cache_read_input_tokens"] == total1
    assert u2["cache_read_input_tokens"] + u2["cache_creation_input_tokens"] == estimate_tokens(_body(2))


def test_rewriting_an_old_block_falls_back_to_an_earlier_breakpoint():
    cache = PromptCache()
    cache.usage(_body(3))
    evicted = copy.deepcopy(_body(4))
    evicted["messages"][2]["content"][0]["content"] = "[Paged out: Read /f0]"
    u = cache.usage(evicted)
    system_and_tools = cache.usage({"model": "m", "system": _body(0)["system"], "tools": _body(0)["tools"],
                                    "messages": []}, write=False)["cache_read_input_tokens"]
    assert u["cache_read_input_tokens"] == system_and_tools > 0
    assert u["cache_creation_input_tokens"] > 3 * 700  # three ~700-token results re-written


def test_no_breakpoints_no_cache():
    cache = PromptCache()
    body = _body(1, marker=False)
    del body["system"][0]["cache_control"]
    cache.usage(body)
    u = cache.usage(body)
    assert u["cache_read_input_tokens"] == 0 and u["input_tokens"] == estimate_tokens(body)
