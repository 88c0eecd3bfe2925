"""Real Claude Code (`claude -p`) launched by the TUI (`pichay-tui -- claude ...`) through the TUI-hosted proxy.

The scripted upstream's `coding` script re-reads models.py eight user turns after first reading it; with τ = 4 the
first read is paged out before the re-read, so the page table must show Claude Code's session, its pages and a fault.
"""
import tempfile
from pathlib import Path

import pytest
from helpers import wait_until

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.cli.tui import build_app
from pichay_tui.sim.claude_cli import DEFAULT_TOOLS, MISSING_HELP, claude_env, find_claude
from pichay_tui.sim.sample_project import create_sample_project
from pichay_tui.sim.script import script_prompt
from pichay_tui.sim.upstream import create_upstream_app, run_upstream
from pichay_tui.ui.config import UIConfig
from pichay_tui.ui.widgets.page_table import PageTable
from pichay_tui.ui.widgets.panels import FaultTable

pytestmark = pytest.mark.e2e


async def test_claude_code_through_the_tui_hosted_proxy(tmp_path, monkeypatch):
    """Built by the CLI's own factory, in the environment and folder `pichay-tui -- claude ...` would run in."""
    import os

    exe = find_claude()
    if exe is None:
        pytest.fail(MISSING_HELP)
    work = create_sample_project(tmp_path / "work")
    env = claude_env("http://unset", tmp_path / "home")
    for k in os.environ:
        if k not in env:
            monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))         # the agent log lands here
    async with run_upstream(create_upstream_app(script="coding", workdir=work)) as upstream:
        cmd = [str(exe), "-p", script_prompt("coding", str(work)), "--output-format", "stream-json", "--verbose",
               "--allowedTools", DEFAULT_TOOLS, "--permission-mode", "acceptEdits"]
        app = build_app(ProxyOptions(port=0, age_threshold=4, upstream=upstream), cmd, cfg=UIConfig())
        host = app.host
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_until(pilot, lambda: host.exit_code is not None, timeout=240, app=app)
            app.refresh_view(force=True)
            await pilot.pause()
            assert host.exit_code == 0, "\n".join(app.log_lines[-20:])
            sessions = app.vm.sessions()
            assert sessions and sessions[0].client.startswith("claude-code")
            rows = app.vm.rows()
            reads = [r for r in rows if r.tool == "Read" and r.address.endswith("inventory/models.py")]
            assert len(reads) >= 2 and any(r.state == "evicted" for r in reads)
            assert app.screen.query_one(PageTable).row_count == len(rows)
            faults = app.vm.faults()
            assert faults and faults[0].address.endswith("inventory/models.py")
            assert app.screen.query_one(FaultTable).row_count == len(faults)
            assert Path(host.log_path).parent == tmp_path
            assert Path(host.log_path).read_text().strip()               # agent output went to the log, not the screen
            assert any('"type":"result"' in line.replace(" ", "") for line in app.log_lines)
