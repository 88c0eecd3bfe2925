"""Page detail (enter): metadata, the original content, what the model sees now, and the page's event history."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TextArea

from ...core import events as ev
from ..bindings import TABLE_BINDINGS
from ..widgets.format import KIND_LABEL, short_addr, state_cell

EVENT_TEXT = {
    ev.PAGE_ADDED: lambda d: f"added · {d.get('tokens', 0):,} tokens, {d.get('bytes', 0):,} bytes",
    ev.PAGE_EVICTED: lambda d: f"evicted ({d.get('reason')}) · {'paged' if d.get('paged') else 'garbage-collected'}",
    ev.PAGE_FAULTED: lambda d: f"FAULT · asked again {d.get('turns_since')} turns after eviction "
                               f"({'major' if d.get('major') else 'minor'})",
    ev.PAGE_PINNED: lambda d: f"pinned ({d.get('reason')})",
    ev.PAGE_UNPINNED: lambda d: f"unpinned ({d.get('reason')})",
    ev.PAGE_RESTORED: lambda d: f"restored ({d.get('reason')})",
    ev.PAGE_CLEARED_BY_CLIENT: lambda d: f"cleared by the client ({d.get('reason')})",
    ev.SWEEP_APPLIED: lambda d: f"in a sweep of {len(d.get('changed_pages') or [])} page(s) · predicted cache cost "
                                f"{d.get('predicted_invalidated_tokens', 0):,} tokens",
    ev.COMMAND_QUEUED: lambda d: f"operator queued {d.get('command')}",
    ev.COMMAND_APPLIED: lambda d: f"{d.get('command')} applied" + ("" if d.get("ok") else f" — failed: {d.get('error')}"),
}
EVENT_STYLE = {ev.PAGE_EVICTED: "dark_orange", ev.PAGE_FAULTED: "bold red", ev.PAGE_PINNED: "cyan",
               ev.PAGE_RESTORED: "green", ev.COMMAND_QUEUED: "yellow", ev.COMMAND_APPLIED: "yellow"}


class History(DataTable):
    BINDINGS = TABLE_BINDINGS


class PageDetailScreen(Screen):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back", id="detail.back")]

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page

    def compose(self) -> ComposeResult:
        app = self.app
        row = app.vm.row(self.page)
        original, now = app.tap.content(app.vm.selected or "", self.page)
        yield Static(self._meta(row), id="detail-meta")
        with Horizontal(id="detail-content"):
            with Vertical(id="detail-original", classes="pane"):
                yield TextArea(original, read_only=True, show_line_numbers=False, soft_wrap=False, id="original")
            with Vertical(id="detail-now", classes="pane"):
                yield TextArea(now, read_only=True, soft_wrap=True, id="now")
        yield History(id="detail-history", cursor_type="row")
        yield Footer()

    def _meta(self, row) -> Table:
        t = Table.grid(padding=(0, 2))
        if row is None:
            t.add_row(Text(f"page {self.page} is gone", style="red"))
            return t
        for _ in range(4):
            t.add_column()
        s = self.app.vm.session()
        page = s.pages[self.page]
        t.add_row(Text(f"{row.tool or KIND_LABEL.get(row.kind, row.kind)}", style="bold"),
                  Text(short_addr(row.address, self.app.root, 90), style="bold #f0c674"), "", "")
        t.add_row("state", state_cell(row.state, row.pending), "kind", KIND_LABEL.get(row.kind, row.kind))
        t.add_row("size", f"{row.tokens:,} tokens · {row.bytes:,} bytes · {page.lines:,} lines",
                  "turn", f"{row.turn} (age {row.age})")
        t.add_row("faults", Text(str(row.faults), style="bold red" if row.faults else ""),
                  "pin", row.pin_reason or "—")
        t.add_row("address key", Text(page.key or "none: transient (GC), kept for memory_fault", style="grey58"),
                  "evicted", f"turn {page.evicted_at_turn} ({page.evict_reason})" if page.evicted_at_turn else "—")
        return t

    def on_mount(self) -> None:
        self.query_one("#detail-meta").border_title = f"Page {self.page}"
        self.query_one("#detail-original").border_title = "Original content (client's copy)"
        self.query_one("#detail-now").border_title = "What the model sees now"
        for ta in self.query(TextArea):
            ta.cursor_blink = False
        hist = self.query_one(History)
        hist.border_title = "History"
        hist.add_columns("TURN", "EVENT")
        for e in self.app.vm.page_history(self.page):
            text = EVENT_TEXT.get(e.kind, lambda d: e.kind)(e.data)
            hist.add_row(Text(f"t{e.turn}", justify="right"), Text(text, style=EVENT_STYLE.get(e.kind, "")))
        self.query_one("#original").focus()
