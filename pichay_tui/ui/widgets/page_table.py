"""The page table: a DataTable updated incrementally by page id, so thousands of rows stay smooth."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from ...core.viewmodel import PageRow
from ..bindings import PAGE_TABLE_BINDINGS, TABLE_BINDINGS
from ..messages import OpenDetail, PageSelected
from .format import KIND_LABEL, num, short_addr, state_cell

COLUMNS = (("id", "PAGE", 10), ("kind", "KIND", 7), ("tool", "TOOL", 8), ("address", "ADDRESS", 44),
           ("state", "STATE", 20), ("tokens", "TOKENS", 7), ("bytes", "BYTES", 8), ("age", "AGE", 4),
           ("faults", "FLT", 3), ("pin", "PIN", 8))


def _age_only(a: PageRow, b: PageRow) -> bool:
    """True when only the age differs (every row at each new turn): update one cell, skip building the rest."""
    return a.age != b.age and a.state == b.state and a.pending == b.pending and a.faults == b.faults and \
        a.tokens == b.tokens and a.pin_reason == b.pin_reason and a.address == b.address


def _age_cell(r: PageRow) -> Text:
    return num(r.age) if r.turn else Text("—", justify="right", style="grey42")


class PageTable(DataTable):
    """Renders rows from the view model; owns no paging state. `sync()` diffs against what is shown."""

    BINDINGS = TABLE_BINDINGS + PAGE_TABLE_BINDINGS

    def __init__(self, root: str = "", **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.root = root
        self.follow = False
        self._keys: list[str] = []
        self._shown: dict[str, PageRow] = {}

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def cells(self, r: PageRow) -> tuple:
        err = " !" if r.is_error else ""
        return (Text(r.id, style="grey62"), KIND_LABEL.get(r.kind, r.kind), r.tool or "·",
                Text(short_addr(r.address, self.root) + err, style="red" if err else ""),
                state_cell(r.state, r.pending), num(r.tokens), num(r.bytes),
                _age_cell(r),
                Text(str(r.faults), justify="right", style="bold red") if r.faults else num(0),
                Text(r.pin_reason or "", style="cyan"))

    @property
    def selected_id(self) -> str | None:
        if not self._keys or self.cursor_row < 0 or self.cursor_row >= len(self._keys):
            return None
        return self._keys[self.cursor_row]

    def sync(self, rows: list[PageRow]) -> None:
        keys = [r.id for r in rows]
        n = len(self._keys)
        if keys[:n] != self._keys:
            self._rebuild(rows)
            return
        shown = self._shown
        for r in rows[:n]:
            old = shown[r.id]
            if old is r or old == r:
                continue
            if _age_only(old, r):
                self.update_cell(r.id, "age", _age_cell(r))
            else:
                for col, a, b in zip(COLUMNS, self.cells(old), self.cells(r)):
                    if a != b:
                        self.update_cell(r.id, col[0], b)
            shown[r.id] = r
        tail = rows[n:]
        if tail:
            for r in tail:
                shown[r.id] = r
                self.add_row(*self.cells(r), key=r.id)
            self._keys = keys
            if self.follow:
                self.move_cursor(row=len(keys) - 1)

    def _rebuild(self, rows: list[PageRow]) -> None:
        keep = self.selected_id
        self.clear()
        self._shown = {}
        for r in rows:
            self._shown[r.id] = r
            self.add_row(*self.cells(r), key=r.id)
        self._keys = [r.id for r in rows]
        if self.follow and rows:
            self.move_cursor(row=len(rows) - 1)
        elif keep in self._shown:
            self.move_cursor(row=self._keys.index(keep))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if self.selected_id:
            self.post_message(PageSelected(self.selected_id))

    def action_open_detail(self) -> None:
        if self.selected_id:
            self.post_message(OpenDetail(self.selected_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_detail()
