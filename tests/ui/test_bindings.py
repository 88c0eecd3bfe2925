"""Every key binding resolves: operator keys to a core command (or the announced session.collapse), others to actions."""
import pytest
from helpers import scripted_app

from pichay_tui.core.commands.registry import COMMANDS
from pichay_tui.ui import operator as ops
from pichay_tui.ui.app import PichayApp
from pichay_tui.ui.bindings import APP_BINDINGS, PAGE_TABLE_BINDINGS, TABLE_BINDINGS, all_bindings
from pichay_tui.ui.config import UIConfig
from pichay_tui.ui.screens.help import HelpScreen
from pichay_tui.ui.widgets.page_table import PageTable


def _split(action: str) -> tuple[str, str | None]:
    name, _, rest = action.partition("(")
    return name, rest.rstrip(")").strip("'\"") if rest else None


@pytest.mark.parametrize("binding", all_bindings(), ids=lambda b: b.id)
def test_binding_resolves(binding):
    name, arg = _split(binding.action)
    owner = PichayApp if binding in APP_BINDINGS else PageTable
    assert callable(getattr(owner, f"action_{name}", None)), f"{binding.id}: no action_{name} on {owner.__name__}"
    if name == "op":
        assert arg in ops.ACTIONS
        assert arg in COMMANDS or arg == ops.COLLAPSE, f"{binding.id}: unknown core command {arg}"


def test_ids_unique_and_documented():
    ids = [b.id for b in all_bindings()]
    assert len(ids) == len(set(ids)) and all(ids)
    assert {b.id for b in TABLE_BINDINGS + PAGE_TABLE_BINDINGS} <= set(ids)


def test_every_operator_command_has_a_key():
    bound = {_split(b.action)[1] for b in APP_BINDINGS if b.action.startswith("op(")}
    operator = {"page.evict", "page.pin", "page.unpin", "page.restore", "session.compact", "session.collapse"}
    assert operator <= bound and set(ops.ACTIONS) == bound


async def test_keymap_from_config_remaps(tmp_path):
    cfgfile = tmp_path / "config.toml"
    cfgfile.write_text('theme = "nord"\n[keymap]\n"page.pin" = "P"\n[policy]\nage_threshold = 7\n')
    cfg = UIConfig.load(cfgfile)
    assert cfg.keymap == {"page.pin": "P"} and cfg.policy == {"age_threshold": 7}
    app, eng = scripted_app()
    app.cfg = cfg
    app.set_keymap(cfg.keymap)
    async with app.run_test(size=(160, 48)) as pilot:
        rows = app.vm.rows()
        target = next(r for r in rows if r.kind == "tool_result" and r.state == "resident" and not r.pin_reason)
        app.screen.query_one(PageTable).move_cursor(row=[r.id for r in rows].index(target.id))
        await pilot.press("P")
        await pilot.pause()
        assert app.vm.all_rows()[target.id].pending == "page.pin"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


def test_broken_config_falls_back(tmp_path):
    f = tmp_path / "config.toml"
    f.write_text("theme = [unclosed\n")
    cfg = UIConfig.load(f)
    assert cfg.error and cfg.keymap == {}
