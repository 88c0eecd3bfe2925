"""The replay TUI: the live app's screens driven by the ReplayController (keys step, go back, jump to markers)."""
from __future__ import annotations

import pytest

from pichay_tui.core.config import PagerConfig
from pichay_tui.core.replay import ReplayController, Replayer

from .replay_fixtures import SAMPLE_FILES, source


@pytest.mark.asyncio
async def test_replay_app_steps_back_and_jumps_with_keys():
    from pichay_tui.ui.replay_screen import ReplayApp

    c = ReplayController(Replayer(source(next(p for p in SAMPLE_FILES if p.name == "coding.jsonl")), PagerConfig()))
    app = ReplayApp(c, label="coding")
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
