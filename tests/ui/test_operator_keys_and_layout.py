"""Operator keys a person can follow (a key on a row it does not apply to says why; a queued compaction shows on the
rows it will evict) and small terminals (80×24 keeps 8+ page rows and the proxy URL; 120 columns cut no column)."""
from __future__ import annotations

from helpers import scripted_app, wait_until

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.cli.tui import build_app
from pichay_tui.ui.config import UIConfig
from pichay_tui.ui.screens.dialogs import ConfirmScreen
from pichay_tui.ui.widgets.header import HeaderBar
from pichay_tui.ui.widgets.page_table import PageTable
from pichay_tui.ui.widgets.vtable import VirtualTable


def _toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


async def _select(pilot, pid: str) -> None:
    app = pilot.app
    app.screen.query_one(PageTable).move_cursor(row=[r.id for r in app.vm.rows()].index(pid))
    await pilot.pause()


def _lines(table: VirtualTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_a_key_on_a_row_it_does_not_apply_to_says_why():
    app, _ = scripted_app()
    async with app.run_test(size=(160, 48)) as pilot:
        evicted = next(r for r in app.vm.rows() if r.state == "evicted" and not r.pending)
        await _select(pilot, evicted.id)
        assert app.check_action("op", ("page.evict",)) is None          # dimmed in the footer …
        await pilot.press("e")                                            # … yet the key answers
        await pilot.press("u")
        await pilot.pause()
        assert f"{evicted.id}: already evicted — restore it instead" in _toasts(app)
        assert f"{evicted.id}: not pinned — nothing to unpin" in _toasts(app)
        assert not isinstance(app.screen, ConfirmScreen)
        pinned = next(r for r in app.vm.rows() if r.pin_reason)
        await _select(pilot, pinned.id)
        await pilot.press("e")
        await pilot.press("p")
        await pilot.press("r")
        await pilot.pause()
        assert f"{pinned.id}: pinned ({pinned.pin_reason}) — unpin it first" in _toasts(app)
        assert f"{pinned.id}: already pinned ({pinned.pin_reason})" in _toasts(app)
        assert f"{pinned.id}: pinned — nothing to restore (unpin it to let it be paged)" in _toasts(app)
        system = next(r for r in app.vm.rows() if r.kind == "system")
        await _select(pilot, system.id)
        await pilot.press("e")
        await pilot.pause()
        assert f"{system.id}: a system block — only tool results are paged out" in _toasts(app)
        assert not app.vm.session().pending[1:], "a refused key queued a command"


async def test_queued_compaction_shows_pending_on_the_rows_it_will_evict():
    app, eng = scripted_app()
    async with app.run_test(size=(160, 48)) as pilot:
        resident = [r for r in app.vm.rows() if r.kind == "tool_result" and r.state == "resident" and r.age >= 1]
        assert resident
        await pilot.press("C")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        app.refresh_view(force=True)
        await pilot.pause()
        rows = {r.id: r for r in app.vm.rows()}
        marked = [pid for pid, r in rows.items() if r.pending == "session.compact"]
        # a page that faulted is pinned by the compaction rather than evicted: it is not marked
        assert set(marked) == {r.id for r in resident if r.bytes >= eng.config.min_size and not r.faults} != set()
        assert all(rows[pid].state == "resident" for pid in marked)
        text = "\n".join(_lines(app.screen.query_one(PageTable)))
        assert text.count("→compact") == len(marked)


def _no_column_cut(app) -> list[str]:
    """Every table on screen: each shown column at least as wide as its header, and the row within the pane."""
    problems = []
    for table in app.screen.query(VirtualTable):
        if not table.display or not table.size.width:
            continue
        shown = [(c, w) for c, w in zip(table.COLUMNS, table._widths) if w]
        problems += [f"{type(table).__name__}.{c.key} {w} < {len(c.label)}" for c, w in shown if w < len(c.label)]
        if table._table_width() > table.size.width:
            problems.append(f"{type(table).__name__} {table._table_width()} > {table.size.width} cells")
        header = table.render_line(0).text
        problems += [f"{type(table).__name__} header cut: {c.label}" for c, _ in shown if c.label not in header]
    return problems


async def test_80x24_keeps_eight_page_rows_and_the_proxy_url():
    app = build_app(ProxyOptions(port=0), cfg=UIConfig())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.host.url, app=app)
        await pilot.pause()
        assert app.screen.query_one(PageTable).visible_rows() >= 8
        header = app.screen.query_one(HeaderBar)
        second = header.render_line(1).text
        assert app.host.url in second and "waiting for an agent" in second
    app, _ = scripted_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PageTable)
        assert table.visible_rows() >= 8
        assert sum(1 for line in _lines(table)[1:] if line.strip()) >= 8
        assert _no_column_cut(app) == []


async def test_no_column_is_cut_at_120_or_160_columns():
    for size in ((120, 40), (160, 48), (100, 30)):
        app, _ = scripted_app()
        async with app.run_test(size=size) as pilot:
            await pilot.press("L")                        # with the agent log pane: three panes share the bottom
            await pilot.pause()
            assert _no_column_cut(app) == [], size
            await pilot.press("L")
            await pilot.pause()
            assert _no_column_cut(app) == [], size


async def test_replay_at_80x24_keeps_eight_page_rows_and_hides_no_column_partly():
    from pathlib import Path

    from pichay_tui.cli.replay import build_replay_app

    sample = Path(__file__).resolve().parents[2] / "sample_sessions" / "long_thrash.jsonl.xz"
    app = build_replay_app(str(sample), frame=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(PageTable)
        assert table.visible_rows() >= 8
        assert sum(1 for line in _lines(table)[1:] if line.strip()) >= 8
        assert _no_column_cut(app) == []
