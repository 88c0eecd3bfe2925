"""Drive the app against the scripted upstream (proxy + simulated agent in the app's loop), one request at a time.

Asserts on the app's view model and posted messages: a page appears, is evicted after τ turns, the operator pins
another (pending until the next request), a fault shows in the timeline, and a collapse applies on the next request.
"""
from helpers import wait_until

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.cli.tui import build_app
from pichay_tui.ui.config import UIConfig
from pichay_tui.ui.messages import CommandQueued, ViewRefreshed
from pichay_tui.ui.screens.dialogs import CollapseScreen, ConfirmScreen
from pichay_tui.ui.widgets.page_table import PageTable
from pichay_tui.ui.widgets.panels import FaultTable, PinTable

TAU = 4


def _row(app, suffix):
    return next((r for r in app.vm.rows() if r.kind == "tool_result" and r.address.endswith(suffix)), None)


async def _select(pilot, row_id):
    app = pilot.app
    app.screen.query_one(PageTable).move_cursor(row=[r.id for r in app.vm.rows()].index(row_id))
    await pilot.pause()


async def test_live_session_against_scripted_upstream(tmp_path):
    msgs = []
    app = build_app(ProxyOptions(port=0, age_threshold=TAU), demo_dir=str(tmp_path / "work"), pace=0.0,
                    scripts=("coding",), cfg=UIConfig())
    app.host.paused = True
    app.host._resume.clear()
    async with app.run_test(size=(160, 48), message_hook=msgs.append) as pilot:
        host = app.host

        async def step():
            before = host.step
            await pilot.press("n")
            await wait_until(pilot, lambda: host.step == before + 1, app=app)
            await pilot.pause()                 # let the posted ViewRefreshed be processed

        await wait_until(pilot, lambda: app.vm.session() is not None and host.step == 1, app=app)
        assert app.host.url and app.host.url.startswith("http://127.0.0.1:")
        while _row(app, "README.md") is None:
            await step()
        readme = _row(app, "README.md")
        assert readme.state == "resident" and readme.age == 0
        born = readme.turn
        while app.vm.all_rows()[readme.id].state == "resident":
            await step()
        assert app.vm.session().pages[readme.id].evicted_at_turn - born == TAU
        assert any(m.counts.get("page_evicted") for m in msgs if isinstance(m, ViewRefreshed))

        # operator pins another page: pending until the next request applies it
        while _row(app, "storage.py") is None:
            await step()
        storage = _row(app, "storage.py")
        await _select(pilot, storage.id)
        await pilot.press("p")
        await pilot.pause()
        assert any(isinstance(m, CommandQueued) and m.command == "page.pin" and m.page == storage.id for m in msgs)
        assert app.vm.all_rows()[storage.id].pending == "page.pin"
        assert app.vm.all_rows()[storage.id].state == "resident"
        await step()
        assert app.vm.all_rows()[storage.id].state == "pinned"
        assert [p.page for p in app.vm.pins()] == [storage.id]
        assert app.screen.query_one(PinTable).row_count == 1

        # evicting asks for confirmation first
        target = next(r for r in app.vm.rows() if r.kind == "tool_result" and r.state == "resident" and r.age >= 1)
        await _select(pilot, target.id)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert app.vm.all_rows()[target.id].pending == "page.evict"

        # the script re-reads models.py 8 turns after reading it: a fault in the timeline
        while not app.vm.faults():
            await step()
        fault = app.vm.faults()[0]
        assert fault.address.endswith("inventory/models.py") and fault.major
        assert app.screen.query_one(FaultTable).row_count == 1
        assert any(m.counts.get("page_faulted") for m in msgs if isinstance(m, ViewRefreshed))

        # collapse a turn range via the prompt; it applies at the next request
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CollapseScreen)
        dialog = app.screen
        dialog.query_one("#start").value, dialog.query_one("#end").value = "2", "3"
        dialog.query_one("#summary").text = "Read the README and models.py: marker amber."
        await pilot.click("#ok")
        await pilot.pause()
        queued = [m for m in msgs if isinstance(m, CommandQueued) and m.command == "session.collapse"]
        assert queued, [getattr(m, "reason", m) for m in msgs if type(m).__name__ == "CommandRejected"]
        await step()
        assert any(r.state == "collapsed" for r in app.vm.rows())
