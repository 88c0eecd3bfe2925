"""`?`: every binding with its key, description and id (the id is what config.toml's [keymap] remaps)."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..bindings import HELP_SECTIONS, all_bindings
from ..config import config_path


def _keys(app, b: Binding) -> str:
    override = (getattr(app, "_keymap", None) or {}).get(b.id) if b.id else None
    if not override and b.key_display:
        return b.key_display
    return ", ".join(app.get_key_display(Binding(k.strip(), b.action)) for k in (override or b.key).split(","))


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        tables, seen = [], set()
        # the replay app adds its own bindings (replay.*); list whatever the running app has beyond the shared ones
        extra = [b for b in type(self.app).BINDINGS if isinstance(b, Binding) and b.id and b not in all_bindings()]
        for title, prefixes in HELP_SECTIONS + [("Palette", ())]:
            table = Table(box=None, expand=True, show_header=False, padding=(0, 1), title=title,
                          title_justify="left", title_style="bold #f0c674")
            table.add_column("key", style="bold", width=12)
            table.add_column("what", ratio=1)
            table.add_column("id", style="grey50", width=22)
            for b in all_bindings() + extra:
                if b.id in seen or not b.id or not prefixes or not b.id.startswith(prefixes):
                    continue
                seen.add(b.id)
                table.add_row(_keys(self.app, b), b.tooltip or b.description, b.id)
            if not prefixes:
                table.add_row("ctrl+p", "command palette: the same named commands, offered for the selected page", "")
            if table.row_count:
                tables.append(table)
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Key bindings"
            box.border_subtitle = f"remap by id in {config_path().name} [keymap] · esc closes"
            for table in tables:
                yield Static(table, classes="help-section")
            yield Static(Text.from_markup(
                "\n[b]Filter language[/]  [#f0c674]tool:Read state:evicted tokens>2k path:src/ faults>0 age>4[/]\n"
                "  fields: tool state kind path id pin · numbers: tokens bytes age faults turn lines (k/m suffix)\n"
                "  flags: is:pinned is:out is:resident is:paged is:error is:pending · combine with ! & | ( )\n"
                "\n[b]States[/]  [green]● resident[/]  [bold cyan]◆ pinned[/]  [dark_orange]○ evicted[/]  "
                "[magenta]◌ released[/]  [medium_purple]▤ collapsed[/]  [grey42]✕ cleared by client[/]  "
                "[bold yellow]→ pending operator command[/]"), id="help-legend")
