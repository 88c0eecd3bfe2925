"""The client-matrix machinery without real clients: its scripts, its judge and its client registry."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pichay_tui.core import recording as rec
from pichay_tui.core.model.exchange import ResponseSummary
from pichay_tui.sim.agent import SimulatedAgent
from pichay_tui.sim.answers import answer_line
from pichay_tui.sim.claude_cli import ClaudeRun
from pichay_tui.sim.clients import CLIENTS, Client, ClientMissing
from pichay_tui.sim.matrix import SCENARIOS_BY_KEY
from pichay_tui.sim.matrix_judge import Cell, first_text, judge
from pichay_tui.sim.model import decide
from pichay_tui.sim.script import expected_answer, script_prompt
from pichay_tui.sim.steps import make_tool_id
from pichay_tui.sim.upstream import create_upstream_app, run_upstream


@pytest.mark.parametrize("script", ["matrix-files", "matrix-subagent"])
async def test_matrix_scripts_complete_without_a_pager(workdir, script):
    app = create_upstream_app(script=script, workdir=workdir)
    async with run_upstream(app) as url:
        result = await SimulatedAgent(url, workdir, script=script).run()
    assert answer_line(result.final_text) == expected_answer(script)
    if script == "matrix-files":
        names = [u["name"] for r in result.responses for u in r["content"] if u.get("type") == "tool_use"]
        assert len(names) == 12 and names.count("Read") == 8        # ≥ 10 tool turns over ≥ 5 files
    else:
        (sub,) = result.subagents
        assert len(sub.final_text.encode()) > 700                # the report a pager must not lose
        assert "END-OF-REPORT quartz" in sub.final_text


def _subagent_body(result_text: str, tools: list[str]) -> dict:
    """A request of matrix-subagent right after step 7, whose step-2 (Agent) result reads `result_text`."""
    w = "/w"
    msgs: list[dict] = [{"role": "user", "content": script_prompt("matrix-subagent", w)}]
    for step in range(8):
        tid = make_tool_id(step, 0, "Agent" if step == 2 else "Bash", {"s": step})
        msgs.append({"role": "assistant", "content": [{"type": "tool_use", "id": tid, "name": "Bash", "input": {}}]})
        text = result_text if step == 2 else f"output of step {step}"
        msgs.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": tid, "content": text}]})
    return {"messages": msgs, "tools": [{"name": n} for n in tools]}


def test_subagent_script_fetches_a_paged_report_with_memory_fault():
    handle = ('[Paged out: Agent Audit storage and pricing (1,515 bytes, 22 lines) · page p4b85eb25. Re-run the '
              'tool call if you need its content, or call memory_fault with "p4b85eb25".]')
    reply = decide(_subagent_body(handle, ["Read", "Bash", "Agent", "memory_release", "memory_fault"]), workdir="/w")
    (call,) = [b for b in reply.content if b["type"] == "tool_use"]
    assert call["name"] == "memory_fault" and call["input"] == {"paths": ["p4b85eb25"]}


def test_subagent_script_cannot_recover_a_report_that_names_no_way_back():
    cleared = ("[Cleared stale output: Agent Audit storage and pricing (1,515 bytes, 22 lines) · page p4b85eb25. "
               "It was transient output; re-run the command if you need it again.]")
    reply = decide(_subagent_body(cleared, ["Read", "Bash", "Agent", "memory_release", "memory_fault"]), workdir="/w")
    assert reply.stop_reason == "end_turn"
    assert answer_line(reply.content[0]["text"]).startswith("subagent=MISSING")


def test_first_text_is_the_same_for_string_and_blocks():
    as_string = {"messages": [{"role": "user", "content": "Warmup"}]}
    as_blocks = {"messages": [{"role": "user", "content": [{"type": "text", "text": "Warmup",
                                                            "cache_control": {"type": "ephemeral"}}]}]}
    assert first_text(as_string) == first_text(as_blocks) == "Warmup"


def _write_recording(path: Path, requests: list[tuple[str, dict]], status: int = 200) -> None:
    lines = [rec.header_record(0.0, {})]
    for i, (sid, body) in enumerate(requests, 1):
        lines.append(rec.request_record(i, float(i), "POST", "/v1/messages", {}, body, body, session=sid,
                                        request_no=i, engine=True))
        lines.append(rec.response_record(i, float(i), sid, ResponseSummary(status=status), 1.0))
    path.write_text("".join(rec.dumps(r).decode() + "\n" for r in lines))


def _body(first: str, system: str = "sys") -> dict:
    return {"system": system, "messages": [{"role": "user", "content": first}], "tools": [{"name": "Read"}]}


def _state(sessions: list[dict]) -> dict:
    return {"sessions": [{"stats": {"requests": 1}, "pages": [], "faults": [], **s} for s in sessions]}


def test_judge_passes_a_clean_cell_and_names_every_defect(tmp_path):
    sc = SCENARIOS_BY_KEY["cooperative"]
    prompt = script_prompt("cooperative", "/w")
    ok_run = ClaudeRun(0, f"Done.\n\nSIM-ANSWER: {expected_answer('cooperative')}", False, stdout="{}")
    page = {"id": "p1", "tool": "Read", "address": "/w/inventory/models.py",
            "tool_use_id": make_tool_id(0, 0, "Read", {}), "state": "resident"}
    good = _state([{"id": "sm", "parent": None, "pages": [page], "faults": [{"page": "p1"}]}])
    _write_recording(tmp_path / "ok.jsonl", [("sm", _body(prompt)), ("sm", _body(prompt))])
    cell = Cell("x", sc.key, expected=expected_answer("cooperative"))
    judge(cell, sc, ok_run, good, tmp_path / "ok.jsonl", 0, "")
    assert cell.passed, cell.problems
    assert cell.faults == ["main Read models.py"] and cell.sessions == ["1 main (1 req)"]

    # wrong answer, our phantom tool in the client's output, a split main session, merged warm-ups, no fault
    bad_run = ClaudeRun(0, "SIM-ANSWER: cooperative fault=MISSING", False,
                        stdout=json.dumps({"type": "assistant", "name": "memory_fault"}))
    bad = {**_state([{"id": "sa", "parent": None}, {"id": "sb", "parent": "sa"}, {"id": "sw", "parent": "sa"}]),
           "failures": 1}
    _write_recording(tmp_path / "bad.jsonl", [
        ("sa", _body([{"type": "text", "text": prompt}])), ("sb", _body(prompt)),
        ("sw", _body("Warmup", "explore")), ("sw", _body("Warmup", "plan"))], status=529)
    transcript = tmp_path / "home" / ".claude" / "projects" / "w" / "t.jsonl"
    transcript.parent.mkdir(parents=True)
    transcript.write_text(json.dumps({"message": {"content": "<memory_cleanup>\ndrop: block:p1\n</memory_cleanup>"}}))
    cell = Cell("x", sc.key, expected=expected_answer("cooperative"))
    judge(cell, sc, bad_run, bad, tmp_path / "bad.jsonl", 0, "", home=tmp_path / "home")
    text = "\n".join(cell.problems)
    assert "final answer" in text and "memory_fault" in text
    assert "transcript t.jsonl carries ['memory_cleanup']" in text
    assert "expected one main session, got 2" in text
    assert "session sw (warm-up) mixes 1 first messages and 2 system prompts" in text
    assert "warm-up session sw ran 2 requests" in text
    assert "faulted 0 times" in text and "failed open 1 time" in text and "status 529" in text


def test_a_missing_or_wrong_client_fails_with_the_install_command(tmp_path):
    (tmp_path / "node_modules" / "cc-old").mkdir(parents=True)
    (tmp_path / "node_modules" / "cc-old" / "package.json").write_text('{"version": "9.9.9"}')
    with pytest.raises(ClientMissing, match="is not installed.*test.sh"):
        Client("cc-x", "cc-absent", "1.0.0").check(tmp_path)
    with pytest.raises(ClientMissing, match="version 9.9.9"):
        Client("cc-old", "cc-old", "1.0.0").check(tmp_path)


def test_every_pinned_client_is_in_tools_package_json():
    deps = json.loads((Path(__file__).resolve().parents[2] / "tools" / "package.json").read_text())["dependencies"]
    for c in CLIENTS:
        spec = deps[c.package]
        assert spec.rsplit("@", 1)[-1] == c.version if spec.startswith("npm:") else spec == c.version
    assert {c.version for c in CLIENTS if c.kind == "cli"} == {"1.0.128", "2.0.77", "2.1.197", "2.1.332"}


def test_bench_renders_a_test_runs_json_into_the_readme_table(tmp_path):
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    cells = [{"client": "cc-2.0.77", "scenario": "files", "passed": True, "seconds": 3.0,
              "faults": ["main Read models.py"], "sessions": ["1 main (13 req)", "3 warm-up"], "problems": []},
             {"client": "cc-2.0.77", "scenario": "subagent", "passed": False, "seconds": 4.0, "faults": [],
              "sessions": ["2 main (1,9 req)"], "problems": ["final answer 'subagent=MISSING' | wrong"]}]
    src, readme = tmp_path / "cells.json", tmp_path / "README.md"
    src.write_text(json.dumps(cells))
    readme.write_text("intro\n<!-- client-matrix:begin -->\nold table\n<!-- client-matrix:end -->\nrest\n")
    p = subprocess.run([sys.executable, "bench/client_matrix.py", "--from", str(src), "--readme", str(readme)],
                       cwd=repo, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    table = readme.read_text()
    assert "old table" not in table and table.startswith("intro\n") and table.endswith("rest\n")
    row = next(line for line in table.splitlines() if line.startswith("| Claude Code 2.0.77"))
    assert "✅ pass<br>faults: main Read models.py<br>sessions: 1 main (13 req), 3 warm-up" in row
    assert "❌ FAIL" in row and "subagent=MISSING' \\| wrong" in row and "| not run |" in row
    assert "1/2 cells pass" in table and table.count("| Claude Code") == 1
