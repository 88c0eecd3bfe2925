"""Intercept from the keyboard: `i` holds the demo agent's next request (header badge, footer hint), `R` releases it."""
from helpers import wait_until

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.cli.tui import build_app
from pichay_tui.ui.config import UIConfig
from pichay_tui.ui.messages import InterceptChanged
from pichay_tui.ui.widgets.header import HeaderBar


def _footer_keys(app) -> set[str]:
    return {b.id for _, b, enabled, _ in app.screen.active_bindings.values() if enabled and b.show}


async def test_toggle_hold_and_release_with_keys(tmp_path):
    msgs = []
    app = build_app(ProxyOptions(port=0), demo_dir=str(tmp_path / "work"), pace=0.0, scripts=("coding",),
                    cfg=UIConfig())
    app.host.paused = True
    app.host._resume.clear()
    async with app.run_test(size=(160, 48), message_hook=msgs.append) as pilot:
        host = app.host
        icpt = host.server.intercept
        await wait_until(pilot, lambda: app.vm.session() is not None and host.step == 1, app=app)
        header = app.screen.query_one(HeaderBar)
        assert header.intercept == "" and "intercept.release" not in _footer_keys(app)

        await pilot.press("i")
        await pilot.pause()
        assert icpt.enabled and header.intercept == "⏸ INTERCEPT on"

        await pilot.press("n")                       # the demo agent makes one more request: held
        await wait_until(pilot, lambda: len(icpt.held) == 1, app=app)
        await pilot.pause()
        assert header.intercept == "⏸ INTERCEPT · 1 held"
        assert "intercept.release" in _footer_keys(app)         # the footer offers "R Release"
        assert host.step == 1                                   # the upstream has not answered it
        assert any(isinstance(m, InterceptChanged) and m.kind == "request_held" for m in msgs)

        await pilot.press("R")
        await wait_until(pilot, lambda: host.step == 2, app=app)
        await pilot.pause()
        assert not icpt.held and header.intercept == "⏸ INTERCEPT on"
        assert "intercept.release" not in _footer_keys(app)

        await pilot.press("R")                       # nothing held: a warning, no crash
        await pilot.press("i")
        await pilot.pause()
        assert not icpt.enabled and header.intercept == ""
