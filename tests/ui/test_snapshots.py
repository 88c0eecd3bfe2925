"""SVG snapshots of the main screen, page detail, help and turn diff at fixed sizes (deterministic traffic)."""
from helpers import scripted_app

from pichay_tui.ui.widgets.page_table import PageTable

SIZE = (160, 48)


def _select_faulted(pilot):
    app = pilot.app
    row = next(r for r in app.vm.rows() if r.faults and r.state == "evicted")
    table = app.screen.query_one(PageTable)
    table.move_cursor(row=[r.id for r in app.vm.rows()].index(row.id))


def test_main_screen(snap_compare):
    app, _ = scripted_app()

    async def run_before(pilot):
        _select_faulted(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_page_detail(snap_compare):
    app, _ = scripted_app()

    async def run_before(pilot):
        _select_faulted(pilot)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare):
    app, _ = scripted_app()
    assert snap_compare(app, terminal_size=(120, 48), press=["question_mark"])


def test_turn_diff(snap_compare):
    app, _ = scripted_app()
    assert snap_compare(app, terminal_size=SIZE, press=["d"])
