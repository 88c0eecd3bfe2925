"""The page table: a virtualised Line-API widget over the view model's sorted/filtered rows.

Only the rows on screen are ever rendered (`render_line`), each one straight to segments with fixed column widths, so
a refresh costs the same at 30 or 10,000 pages: `sync()` swaps the row list, keeps the cursor on the same page and
repaints the visible lines. Rendered lines are cached by row value, so scrolling back and forth does not rebuild them.

Behaviour matches the DataTable it replaced: a row cursor (↑/↓, j/k, g/G, ctrl+f/b, pageup/pagedown), mouse click
selects and a click on the selected row (or enter) opens the page detail, zebra stripes, follow mode. The header shows
the sort column; clicking a sortable header posts `SortRequested`.
"""
from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from textual.message import Message

from ...core.view.model import PageRow
from ..bindings import PAGE_TABLE_BINDINGS
from ..messages import OpenDetail, PageSelected
from .cells import DIM, NONE, Column, num as _num, style as _s
from .format import KIND_LABEL, PENDING_LABEL, STATE_STYLE, short_addr
from .vtable import VirtualTable

COLUMNS = (Column("id", "PAGE", 10, sort="order"), Column("kind", "KIND", 7), Column("tool", "TOOL", 8, sort="tool"),
           Column("address", "ADDRESS", 44, sort="address"), Column("state", "STATE", 20, sort="state"),
           Column("tokens", "TOKENS", 7, True, "tokens"), Column("bytes", "BYTES", 8, True, "bytes"),
           Column("age", "AGE", 4, True, "age"), Column("faults", "FLT", 4, True, "faults"), Column("pin", "PIN", 8))
_ADDR = next(i for i, c in enumerate(COLUMNS) if c.key == "address")

IDS, ERR, PIN, FAULT, PEND = _s("grey62"), _s("red"), _s("cyan"), _s("bold red"), _s("bold yellow")
STATE_PARTS = {state: (f"{glyph} {label}", _s(style)) for state, (glyph, label, style) in STATE_STYLE.items()}


def row_cells(r: PageRow, root: str, address_width: int) -> list[list[tuple[str, Style]]]:
    """Each column of a row as (text, style) parts (no Rich Text: this is the hot path)."""
    err = " !" if r.is_error else ""
    state = STATE_PARTS.get(r.state, (f"? {r.state}", NONE))
    state_parts = [state]
    if r.pending:
        state_parts.append((f" →{PENDING_LABEL.get(r.pending, r.pending)}", PEND))
    return [[(r.id, IDS)], [(KIND_LABEL.get(r.kind, r.kind), NONE)], [(r.tool or "·", NONE)],
            [(short_addr(r.address, root, address_width - len(err)) + err, ERR if err else NONE)],
            state_parts, [_num(r.tokens)], [_num(r.bytes)],
            [_num(r.age, "0") if r.turn else ("—", DIM)],
            [(str(r.faults), FAULT)] if r.faults else [_num(0)],
            [(r.pin_reason, PIN)] if r.pin_reason else []]


class PageTable(VirtualTable):
    """Renders rows from the view model; owns no paging state. `sync()` takes the rows to show."""

    BINDINGS = VirtualTable.BINDINGS + PAGE_TABLE_BINDINGS
    COLUMNS = COLUMNS
    FLEX, FLEX_RANGE, FLEX_FLOOR = "address", (30, 72), 14   # the address takes the width the others leave
    DROP = ("bytes", "kind", "pin", "age", "faults")          # hidden in this order on narrow terminals
    ZEBRA = True

    @dataclass
    class SortRequested(Message):
        """A sortable column header was clicked."""

        key: str

    def __init__(self, root: str = "", **kw) -> None:
        super().__init__(**kw)
        self.root = root
        self.follow = False
        self._sort: tuple[str, bool] = ("order", False)

    @property
    def selected_id(self) -> str | None:
        row = self.selected
        return row.id if row is not None else None

    def key(self, row: PageRow) -> str:
        return row.id

    def cells(self, row: PageRow) -> list[list[tuple[str, Style]]]:
        return row_cells(row, self.root, self._widths[_ADDR])

    def selected_changed(self, row: PageRow) -> None:
        self.post_message(PageSelected(row.id))

    def sync(self, rows: list[PageRow], sort: tuple[str, bool] | None = None) -> None:
        """Show these rows (already filtered and sorted); the cursor stays on the same page, or the newest in follow."""
        keep = self.selected_id
        if sort is not None and sort != self._sort:
            self._sort = sort
            self.refresh_line(0)
        self.set_rows(rows, len(rows) - 1 if self.follow and rows else None)
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif self.selected_id != keep:
            self.scroll_to_cursor()

    # ---- header sort, detail ----
    def header_labels(self) -> list[tuple[str, bool]]:
        key, reverse = self._sort
        out = []
        for col in COLUMNS:
            lit = bool(col.sort) and col.sort == key and (key != "order" or reverse)
            out.append((col.label + ("▼" if reverse else "▲") if lit else col.label, lit))
        return out

    def header_clicked(self, col: Column) -> None:
        if col.sort:
            self.post_message(self.SortRequested(col.sort))

    def activate(self) -> None:
        self.action_open_detail()

    def action_open_detail(self) -> None:
        if self.selected_id:
            self.post_message(OpenDetail(self.selected_id))
