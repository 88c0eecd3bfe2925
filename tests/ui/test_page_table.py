"""The virtualised page table: only visible rows are rendered, the cursor follows its page across re-sorts, mouse and
keys move it, header clicks sort, follow mode tracks the newest page."""
from helpers import CLOCK, scripted_app

from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.model.exchange import ResponseSummary
from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.ui.app import PichayApp
from pichay_tui.ui.config import UIConfig
from pichay_tui.ui.messages import OpenDetail, PageSelected
from pichay_tui.ui.screens.detail import PageDetailScreen
from pichay_tui.ui.widgets import page_table as pt
from pichay_tui.ui.widgets.page_table import PageTable


def big_app(n: int = 2_000):
    t = [CLOCK]
    eng = Engine(PagerConfig(age_threshold=8), clock=lambda: t[0])
    conv = Conversation("big")
    for i in range(n):
        conv.read(f"/work/project/src/m{i}.py", lines=2)

    def send():
        t[0] += 5
        r = eng.handle_request(conv.body(), {"user-agent": "claude-cli/2.0 (external, cli)"})
        eng.handle_response(r.session_id, ResponseSummary(status=200, usage={"input_tokens": 10}))

    send()
    return PichayApp(eng, config=UIConfig(), root="/work/project", clock=lambda: t[0], auto_refresh=False), conv, send


async def test_only_visible_rows_are_rendered(monkeypatch):
    app, conv, send = big_app()
    built = []
    real = pt.row_cells
    monkeypatch.setattr(pt, "row_cells", lambda r, *a: built.append(r.id) or real(r, *a))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PageTable)
        assert table.row_count == len(app.vm.rows()) > 2_000
        assert 0 < len(built) < 60                       # one screenful, not 2,000 rows
        built.clear()
        conv.read("/work/project/src/new.py", lines=2)
        send()
        app.refresh_view()
        await pilot.pause()
        assert table.row_count == len(app.vm.rows()) and len(built) < 60
        await pilot.press("G")
        await pilot.pause()
        assert table.cursor_row == table.row_count - 1 and table.selected_id == app.vm.rows()[-1].id
        assert table.scroll_y > 1_900


async def test_keys_cursor_survives_resort_and_follow():
    app, conv, send = big_app(300)
    msgs = []
    async with app.run_test(size=(160, 48), message_hook=msgs.append) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PageTable)
        await pilot.press("j", "j", "k")
        assert table.cursor_row == 1
        await pilot.press("ctrl+f")
        await pilot.pause()
        page = table.cursor_row
        assert page > 20 and table.scroll_y > 0
        await pilot.press("ctrl+b", "g")
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0
        target = app.vm.rows()[150].id
        table.move_cursor(150)
        await pilot.pause()
        assert any(isinstance(m, PageSelected) and m.page == target for m in msgs)
        await pilot.press("s")                            # sort by tokens: same page stays selected, moved
        await pilot.pause()
        assert app.vm.sort_key == "tokens" and table.selected_id == target
        await pilot.press("F")                            # follow: the newest page, also after a new turn
        await pilot.pause()
        assert table.follow and table.cursor_row == table.row_count - 1
        conv.read("/work/project/src/newest.py", lines=2)
        send()
        app.refresh_view()
        await pilot.pause()
        assert table.cursor_row == table.row_count - 1


async def test_mouse_click_selects_opens_and_header_sorts():
    app, _ = scripted_app()
    msgs = []
    async with app.run_test(size=(160, 48), message_hook=msgs.append) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PageTable)
        rows = app.vm.rows()
        await pilot.click(PageTable, offset=(30, 3))     # header is line 0: line 3 is the third row
        await pilot.pause()
        assert table.cursor_row == 2 and table.selected_id == rows[2].id
        await pilot.click(PageTable, offset=(30, 3))     # clicking the selected row opens it
        await pilot.pause()
        assert any(isinstance(m, OpenDetail) and m.page == rows[2].id for m in msgs)
        assert isinstance(app.screen, PageDetailScreen)
        await pilot.press("escape")
        await pilot.pause()
        x = sum(w + 2 for w in table._widths[:5]) + 2    # inside the TOKENS header
        await pilot.click(PageTable, offset=(x, 0))
        await pilot.pause()
        assert app.vm.sort_key == "tokens" and app.vm.sort_reverse
        toks = [r.tokens for r in table.rows]
        assert toks == sorted(toks, reverse=True)
        await pilot.click(PageTable, offset=(x, 0))       # again: reversed
        await pilot.pause()
        assert not app.vm.sort_reverse
