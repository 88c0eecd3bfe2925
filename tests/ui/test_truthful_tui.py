"""The TUI tells the truth (issue 10): upstream failures, the agent's exit status, live sessions, the quit dialog, the
demo following its running session — apps built by `cli_tui.build_app`, the factory the CLI uses."""
from __future__ import annotations

import socket
import time

import httpx
from helpers import wait_until

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.cli.tui import build_app
from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.sim.upstream import create_upstream_app, run_upstream
from pichay_tui.ui.config import UIConfig
from pichay_tui.ui.screens.dialogs import ConfirmScreen
from pichay_tui.ui.widgets.header import HeaderBar
from pichay_tui.ui.widgets.panels import SessionsTable

SIZE = (160, 48)
CC = {"user-agent": "claude-cli/2.1.0 (external, cli)", "x-api-key": "dummy", "anthropic-version": "2023-06-01"}


def _toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


def _header(app) -> HeaderBar:
    return app.main.query_one(HeaderBar)


def _screen_text(widget) -> str:
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def _post(url: str, conv: Conversation) -> int:
    async with httpx.AsyncClient(timeout=30) as c:
        r = await c.post(url + "/v1/messages", json=conv.body(), headers=CC)
        await r.aread()
        return r.status_code


async def test_upstream_errors_show_as_toasts_and_in_the_sessions_pane_until_a_request_succeeds(tmp_path):
    sim = create_upstream_app(script="coding", workdir=tmp_path)
    async with run_upstream(sim) as upstream:
        app = build_app(ProxyOptions(port=0, upstream=upstream), cfg=UIConfig())
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.host.url, app=app)
            conv = Conversation("truth")
            assert await _post(app.host.url, conv) == 200
            sim.state.sim.faults.update({"fail_status": 529, "fail_count": 2})
            conv.bash("ls", lines=3)
            assert await _post(app.host.url, conv) == 529
            assert await _post(app.host.url, conv) == 529
            await wait_until(pilot, lambda: any("upstream error 529" in t for t in _toasts(app)), app=app)
            assert sum("upstream error 529" in t for t in _toasts(app)) == 1      # the same failure again: one toast
            row = app.vm.sessions()[0]
            assert row.upstream_errors == 2 and row.upstream_error.startswith("529")
            table = app.main.query_one(SessionsTable)
            await pilot.pause()
            assert "⚠ 529 ×2" in _screen_text(table)
            assert table.border_subtitle.startswith("⚠ upstream") and "529" in table.border_subtitle
            assert await _post(app.host.url, conv) == 200                          # recovered: the warning goes
            await wait_until(pilot, lambda: app.vm.sessions()[0].upstream_error == "", app=app)
            await wait_until(pilot, lambda: not table.border_subtitle, app=app)
            assert "⚠" not in _screen_text(table)


async def test_unreachable_upstream_is_a_toast_even_for_requests_without_a_session():
    app = build_app(ProxyOptions(port=0, upstream=f"http://127.0.0.1:{_closed_port()}"), cfg=UIConfig())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.host.url, app=app)
        async with httpx.AsyncClient(timeout=30) as c:
            r = await c.get(app.host.url + "/v1/models", headers=CC)       # forwarded, no session
        assert r.status_code == 502
        await wait_until(pilot, lambda: any("upstream error 502 on /v1/models" in t and "unreachable" in t
                                            for t in _toasts(app)), app=app)
        assert await _post(app.host.url, Conversation("down")) == 502
        await wait_until(pilot, lambda: app.vm.sessions() and app.vm.sessions()[0].upstream_error.startswith("502"),
                         app=app)


async def test_header_says_waiting_then_counts_live_sessions_and_ages_them_out(tmp_path):
    async with run_upstream(create_upstream_app(script="coding", workdir=tmp_path)) as upstream:
        app = build_app(ProxyOptions(port=0, upstream=upstream), cfg=UIConfig())
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: app.host.url and _header(app).status, app=app)
            assert _header(app).status == "waiting for an agent"
            assert await _post(app.host.url, Conversation("one")) == 200
            await wait_until(pilot, lambda: _header(app).status == "1 session live", app=app)
            assert await _post(app.host.url, Conversation("two")) == 200
            await wait_until(pilot, lambda: _header(app).status == "2 sessions live", app=app)
            later = time.time() + 3600
            app.clock = lambda: later                  # an hour without requests: nobody is live any more
            app.show_host_status()
            await pilot.pause()
            assert _header(app).status == "waiting for an agent"


async def test_agent_exit_status_is_shown_in_the_header_a_toast_and_the_log():
    app = build_app(ProxyOptions(port=0), agent_cmd=["sh", "-c", "echo working; exit 3"], cfg=UIConfig())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.host.exit_code is not None, app=app)
        await pilot.pause()
        assert app.host.exit_code == 3
        assert _header(app).status.startswith("agent sh: exited (3)")
        assert any(t == "agent sh exited with status 3" for t in _toasts(app))
        assert "── sh exited with status 3 ──" in app.log_lines and "working" in app.log_lines


async def test_quit_dialog_says_it_stops_the_launched_agent_and_quitting_does():
    app = build_app(ProxyOptions(port=0), agent_cmd=["sleep", "120"], cfg=UIConfig())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.host.agent_running, app=app)
        proc = app.host.proc
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert f"stops the agent pichay-tui launched (sleep, pid {proc.pid})" in app.screen.body
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen) and proc.returncode is None
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert proc.returncode is not None                  # the agent is gone with the app


async def test_demo_follows_the_running_session_and_escape_keeps_the_log_hidden(tmp_path):
    app = build_app(ProxyOptions(port=0), demo_dir=str(tmp_path / "work"), pace=0.0, scripts=("coding", "long"),
                    cfg=UIConfig())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.engine.sessions) >= 1, app=app)
        first = app.vm.selected
        assert app.main.has_class("with-log")          # the demo shows its agent log at start
        await pilot.press("L")
        await pilot.press("slash")
        await pilot.press("escape")
        await pilot.pause()
        assert not app.main.has_class("with-log"), "Escape brought the hidden agent log back"
        await wait_until(pilot, lambda: len(app.engine.sessions) >= 2, timeout=180, app=app)
        second = next(s for s in app.engine.sessions if s != first)
        await wait_until(pilot, lambda: app.vm.selected == second, app=app)
        # the second script may already have finished at pace 0: what matters is that the view followed it
        assert app.host.script in ("long", "finished")
        await wait_until(pilot, lambda: app.main.query_one("#pages-box").border_title.startswith(
            f"Pages · {second}"), app=app)
