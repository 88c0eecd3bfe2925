"""Small tables beside the page table: sessions, the fault timeline (with thrash warning) and the pin set."""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from ...core.viewmodel import FaultRow, PinRow, SessionRow
from ..bindings import TABLE_BINDINGS
from .format import num, short_addr, tokens, zone_cell


class _Table(DataTable):
    BINDINGS = TABLE_BINDINGS
    COLUMNS: tuple[tuple[str, int | None], ...] = ()

    def __init__(self, **kw) -> None:
        super().__init__(cursor_type="row", **kw)
        self._shown: list[tuple] = []
        self.root = ""

    def on_mount(self) -> None:
        for label, width in self.COLUMNS:
            self.add_column(label, width=width)

    def set_rows(self, rows: list[tuple], keys: list[str]) -> None:
        """Replace the rows only when they differ (these tables are small), keeping the cursor."""
        if rows == self._shown:
            return
        at = self.cursor_row
        self.clear()
        for cells, key in zip(rows, keys):
            self.add_row(*cells, key=key)
        self._shown = rows
        if rows:
            self.move_cursor(row=min(max(at, 0), len(rows) - 1))


class SessionsTable(_Table):
    COLUMNS = (("SESSION", 8), ("CLIENT", 16), ("TURN", 4), ("ZONE", 11), ("RESIDENT", 8), ("EVICTED", 7),
               ("FLT", 3), ("RATE", 5))

    @dataclass
    class Chosen(Message):
        session: str

    def show(self, sessions: list[SessionRow]) -> None:
        rows = [(Text(s.id, style="bold"), Text(("└ " if s.parent else "") + s.client, style="grey70"),
                 num(s.turns), zone_cell(s.zone), Text(tokens(s.resident), justify="right", style="green"),
                 Text(tokens(s.evicted), justify="right", style="dark_orange"), num(s.faults),
                 Text(f"{s.fault_rate:.0%}" if s.evictions else "·", justify="right",
                      style="red" if s.fault_rate > 0.3 else "")) for s in sessions]
        self.set_rows(rows, [s.id for s in sessions])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value:
            self.post_message(self.Chosen(event.row_key.value))


class FaultTable(_Table):
    COLUMNS = (("TURN", 4), ("ADDRESS", 22), ("OUT→BACK", 9), ("TYPE", 5), ("×", 2))

    def show(self, faults: list[FaultRow]) -> None:
        rows, keys = [], []
        for i, f in enumerate(reversed(faults)):
            gap = f"t{f.eviction_turn}+{f.turns_since}"
            if f.seconds_since:
                gap += f" {f.seconds_since:.0f}s" if f.seconds_since >= 1 else ""
            rows.append((num(f.turn), Text(short_addr(f.address, self.root, 22)), Text(gap, style="grey70"),
                         Text("major" if f.major else "minor", style="red" if f.major else "yellow"),
                         Text(str(f.refaults), style="bold red" if f.refaults > 1 else "")))
            keys.append(f"{f.page}:{len(faults) - i}")
        self.set_rows(rows, keys)


class PinTable(_Table):
    COLUMNS = (("PAGE", 10), ("ADDRESS", 20), ("WHY", 8), ("SINCE", 5))

    def show(self, pins: list[PinRow]) -> None:
        rows = [(Text(p.page, style="grey62"), Text(short_addr(p.address, self.root, 20)),
                 Text(p.reason, style="cyan") if not p.pending else Text("→ pin", style="bold yellow"),
                 Text(f"t{p.since_turn}", justify="right")) for p in pins]
        self.set_rows(rows, [p.page for p in pins])
