"""Real Claude Code (`claude -p`) runs the coding script against the scripted upstream directly."""
from __future__ import annotations

import pytest

from pichay_tui.sim.answers import answer_line
from pichay_tui.sim.claude_cli import MISSING_HELP, find_claude, run_claude
from pichay_tui.sim.sample_project import create_sample_project
from pichay_tui.sim.script import answer_ok, expected_answer, script_prompt
from pichay_tui.sim.upstream import create_upstream_app, run_upstream

pytestmark = pytest.mark.e2e


def _require_claude():
    if find_claude() is None:
        pytest.fail(MISSING_HELP)


@pytest.mark.parametrize("script", ["coding", "subagents"])
async def test_claude_code_completes_script(tmp_path, script):
    _require_claude()
    work = create_sample_project(tmp_path / "work", script=script)
    app = create_upstream_app(script=script, workdir=work)
    async with run_upstream(app) as url:
        run = await run_claude(script_prompt(script, str(work)), url, work, home=tmp_path / "home", timeout=240)
    state = app.state.sim
    detail = f"exit={run.exit_code} result={run.result_text!r}\nstderr={run.stderr[-2000:]}"
    assert run.exit_code == 0 and not run.timed_out, detail
    assert not run.is_error, detail
    assert answer_line(run.result_text) == expected_answer(script), detail
    assert answer_ok(run.result_text, script)
    bodies = state.message_bodies()
    assert all(r["query"] == "beta=true" for r in state.requests if r["path"] == "/v1/messages")
    if script == "coding":
        names = [u["name"] for u in run.tool_uses()]
        assert names.count("Read") == 6 and "Edit" in names and "Bash" in names
        assert len(bodies) >= 13
        assert 'PICHAY_MARKER = "ember-2"' in (work / "inventory/report.py").read_text()
