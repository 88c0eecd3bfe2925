"""The replay TUI: the live app's screens driven by the ReplayController (keys step, go back, jump to markers)."""
from __future__ import annotations

import pytest

from pichay_tui.core.model.config import PagerConfig

from .replay_fixtures import SAMPLE_FILES, source


@pytest.mark.asyncio
async def test_replay_app_steps_back_and_jumps_with_keys():

    app = _coding_app()
    c = app.controller
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(8):
            await pilot.press("right")
        await pilot.pause()
        assert c.position == 8 and app.vm.rows()
        forward = c.engine.state()
        await pilot.press("left", "left", "right", "right")
        await pilot.pause()
        assert c.position == 8 and app.vm.engine is c.engine and c.engine.state() == forward
        await pilot.press("home")
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert any(m.frame + 1 == c.position for m in c.markers)


def _coding_app():
    """The replay app from the factory `pichay-tui replay` uses, on the coding sample (its source cached)."""
    from pichay_tui.cli.replay import build_replay_app

    path = next(p for p in SAMPLE_FILES if p.name == "coding.jsonl")
    return build_replay_app(str(path), PagerConfig(), source=source(path))


async def _wait(pilot, cond, timeout=60.0):
    import time

    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "condition not reached in time"
        await pilot.pause(0.05)


@pytest.mark.asyncio
async def test_replay_compare_screen_runs_analysis_in_a_worker():
    from pichay_tui.core.lab.compare import DEFAULT_COMPARE
    from pichay_tui.ui.screens.compare import CompareReady, CompareScreen

    msgs = []
    app = _coding_app()
    c = app.controller
    async with app.run_test(size=(160, 50), message_hook=msgs.append) as pilot:
        await pilot.press("right", "right", "P")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        await _wait(pilot, lambda: app.compare.ready is not None)
        ready = app.compare.ready
        assert not ready.error, ready.error
        assert [r[0] for r in ready.rows] == ["fifo"] + [p for p in DEFAULT_COMPARE.split(",") if p != "fifo"] + \
            ["clairvoyant"]
        assert any(isinstance(m, CompareReady) for m in msgs)
        assert c.position == 2                          # the replay itself did not move
        await pilot.press("escape", "P")                # reopening shows the cached result, no second run
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen) and app.screen.state.ready is ready


@pytest.mark.asyncio
async def test_turn_diff_follows_jumps_back():
    from pichay_tui.ui.screens.turndiff import TurnDiffScreen

    app = _coding_app()
    c = app.controller
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(10):
            await pilot.press("right")
        await pilot.press("d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TurnDiffScreen)

        def applied():
            sid = app.vm.selected
            return [c.replayer.results[i].request_no for i in range(c.position)
                    if c.replayer.results[i].session_id == sid]

        assert [r.request_no for r in screen.records] == applied()
        for _ in range(4):
            await pilot.press("left")
        await pilot.pause()
        assert c.position == 6 and app.vm.engine is c.engine
        assert [r.request_no for r in screen.records] == applied()       # no stale or doubled requests
        assert app.tap.engine is c.engine
        await pilot.press("right")
        await pilot.pause()
        assert [r.request_no for r in screen.records] == applied()
        assert screen.query_one("Turns").cursor_row == len(screen.records) - 1


@pytest.mark.asyncio
async def test_operator_commands_are_recorded_into_the_replay():

    app = _coding_app()
    c = app.controller
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("home")
        while not any(r.kind == "tool_result" and r.state == "resident" for r in app.vm.rows()):
            await pilot.press("right")
            await pilot.pause()
        target = next(r for r in app.vm.rows() if r.kind == "tool_result" and r.state == "resident")
        sid, at = app.vm.selected, c.position
        assert app.issue("page.pin", page=target.id)
        assert c.replayer.operator[at - 1][0].command == "page.pin"
        await pilot.press("right")
        await pilot.pause()
        assert c.engine.sessions[sid].pages[target.id].pinned
        forward = c.engine.state()
        await pilot.press("home", "end")                 # all the way back and forward again: recomputed
        await pilot.pause()
        c.jump(at + 1)
        assert c.engine.state() == forward
        assert c.engine.sessions[sid].pages[target.id].pinned


@pytest.mark.asyncio
async def test_help_lists_the_replay_keys():
    from pichay_tui.ui.screens.help import HelpScreen

    def help_text(app) -> str:
        import re

        assert isinstance(app.screen, HelpScreen)
        return re.sub(r"<[^>]+>", "", app.export_screenshot()).replace("&#160;", " ")

    app = _coding_app()
    c = app.controller
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        app.screen.query_one("#help-box").scroll_end(animate=False)     # the replay section is the last one
        await pilot.pause()
        text = help_text(app)
        assert "Replay" in text and "replay.step" in text and "replay.back" in text and "replay.next-marker" in text
