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

def event_text(e: ev.Event) -> str:
    """One history line for a page event (the kind itself for kinds without one)."""
    g = ev.given
    match p := e.payload:
        case ev.PageAdded(tokens=tokens, bytes=size):
            return f"added · {g(tokens, 0):,} tokens, {g(size, 0):,} bytes"
        case ev.PageEvicted(reason=reason, paged=paged):
            return f"evicted ({g(reason)}) · {'paged' if paged else 'garbage-collected'}"
        case ev.PageFaulted(turns_since=turns, major=major):
            return f"FAULT · asked again {g(turns)} turns after eviction ({'major' if major else 'minor'})"
        case ev.PagePinned(reason=reason):
            return f"pinned ({g(reason)})"
        case ev.PageUnpinned(reason=reason):
            return f"unpinned ({g(reason)})"
        case ev.PageRestored(reason=reason):
            return f"restored ({g(reason)})"
        case ev.PageClearedByClient(reason=reason):
            return f"cleared by the client ({g(reason)})"
        case ev.SweepApplied() | ev.CollapseApplied() | ev.ToolsStubbed():
            return (f"in a sweep of {len(g(p.changed_pages) or [])} page(s) · predicted cache cost "
                    f"{g(p.predicted_invalidated_tokens, 0):,} tokens")
        case ev.CommandQueued(command=command):
            return f"operator queued {g(command)}"
        case ev.CommandApplied(command=command, ok=ok, error=error):
            return f"{g(command)} applied" + ("" if ok else f" — failed: {g(error)}")
    return e.kind


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
            text = event_text(e)
            hist.add_row(Text(f"t{e.turn}", justify="right"), Text(text, style=EVENT_STYLE.get(e.kind, "")))
        self.query_one("#original").focus()
