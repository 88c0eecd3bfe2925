"""SimulatedAgent runs the built-in scripts to completion against the upstream directly, with correct answers."""
from __future__ import annotations

import pytest

from pichay_tui.sim.agent import SimulatedAgent
from pichay_tui.sim.answers import answer_line
from pichay_tui.sim.sample_project import create_sample_project
from pichay_tui.sim.script import answer_ok, expected_answer
from pichay_tui.sim.upstream import create_upstream_app, run_upstream


@pytest.mark.parametrize("stream", [True, False])
async def test_coding_script_completes_with_correct_answer(upstream, workdir, stream):
    url, state = upstream
    seen = []

    async def hook(ex):
        seen.append((ex.turn, len(ex.tool_results)))

    result = await SimulatedAgent(url, workdir, script="coding", stream=stream, on_exchange=hook).run()
    assert answer_line(result.final_text) == "reread=amber edit=ok verify=ember-2" == expected_answer("coding")
    assert result.turns == 13 and result.stop_reason == "end_turn"
    assert [t for t, _ in seen] == list(range(1, 14)) and seen[4][1] == 2  # step 4 ran two tools in parallel
    assert 'PICHAY_MARKER = "ember-2"' in (workdir / "inventory/report.py").read_text()
    bodies = state.message_bodies()
    assert len(bodies) == 13 and all(b["metadata"]["user_id"].startswith("user_sim_account__session_")
                                     for b in bodies)
    # exactly one trailing cache_control marker in the messages, on the last block
    for body in bodies:
        marked = [(i, j) for i, m in enumerate(body["messages"]) for j, b in enumerate(m["content"])
                  if "cache_control" in b]
        assert marked == [(len(body["messages"]) - 1, len(body["messages"][-1]["content"]) - 1)]
    read = bodies[3]["messages"][-1]["content"][0]["content"]
    assert read.startswith('     1\t"""Domain model')


async def test_cache_simulation_reads_on_turn_two(upstream, workdir):
    url, _ = upstream
    result = await SimulatedAgent(url, workdir, script="coding").run()
    u1, u2 = result.responses[0]["usage"], result.responses[1]["usage"]
    assert u1["cache_read_input_tokens"] == 0 and u1["cache_creation_input_tokens"] > 3000
    assert u2["cache_read_input_tokens"] == u1["cache_creation_input_tokens"] + u1["input_tokens"]
    last = result.responses[-1]["usage"]
    assert last["cache_read_input_tokens"] > 10000 and last["output_tokens"] > 0


async def test_unchanged_notice_still_answers_from_earlier_read(upstream, workdir):
    url, state = upstream
    result = await SimulatedAgent(url, workdir, script="coding", unchanged_notice=True).run()
    assert answer_ok(result.final_text, "coding")
    last_result = state.message_bodies()[11]["messages"][-1]["content"][0]["content"]
    assert last_result.startswith("File unchanged since last read.")


async def test_subagents_script_runs_a_separate_conversation(upstream, workdir):
    url, state = upstream
    result = await SimulatedAgent(url, workdir, script="subagents").run()
    assert answer_ok(result.final_text, "subagents"), result.final_text
    assert len(result.subagents) == 1 and result.subagents[0].final_text.startswith("SUBAGENT-REPORT:")
    sessions = {b["metadata"]["user_id"] for b in state.message_bodies()}
    assert len(sessions) == 2


async def test_cooperative_script_without_phantom_tools_falls_back(upstream, workdir):
    url, _ = upstream
    result = await SimulatedAgent(url, workdir, script="cooperative").run()
    assert answer_ok(result.final_text, "cooperative") and "mode: plain" in result.final_text


async def test_long_script_thrashes_round_robin(tmp_path):
    work = create_sample_project(tmp_path / "long", script="long")
    async with run_upstream(create_upstream_app(script="long", workdir=work)) as url:
        result = await SimulatedAgent(url, work, script="long").run()
    assert result.turns == 151 and answer_ok(result.final_text, "long"), result.final_text
    reads = [b["input"]["file_path"] for r in result.responses for b in r["content"] if b.get("name") == "Read"]
    assert len(set(reads)) == 12 and len(reads) == 135
    assert "REVISION = 2" in (work / "inventory/__init__.py").read_text()
