"""Small tables beside the page table: sessions, the fault timeline (newest first) and the pin set.

All three are `VirtualTable`s: a refresh with unchanged rows costs one list comparison and no repaint, and a long
session's thousand faults cost no more to show than ten (only the visible rows are rendered).
"""
from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ...core.view.model import FaultRow, PinRow, SessionRow
from .cells import NONE, Column, Parts, num, style
from .format import PENDING_LABEL, ZONE_STYLE, short_addr, tokens
from .vtable import VirtualTable

BOLD, GREY62, GREY70, RED, YELLOW = style("bold"), style("grey62"), style("grey70"), style("red"), style("yellow")
GREEN, ORANGE, CYAN, BOLD_RED, PEND = style("green"), style("dark_orange"), style("cyan"), style("bold red"), \
    style("bold yellow")
ZONES = {zone: style(spec) for zone, spec in ZONE_STYLE.items()}


class SessionsTable(VirtualTable):
    COLUMNS = (Column("id", "SESSION", 8), Column("client", "CLIENT", 16), Column("turn", "TURN", 4, True),
               Column("zone", "ZONE", 11), Column("resident", "RESIDENT", 8, True),
               Column("evicted", "EVICTED", 7, True), Column("faults", "FLT", 3, True), Column("rate", "RATE", 5, True))
    DROP = ("rate", "client", "evicted", "resident", "turn")

    @dataclass
    class Chosen(Message):
        session: str

    def key(self, row: SessionRow) -> str:
        return row.id

    def cells(self, s: SessionRow) -> list[Parts]:
        rate = (f"{s.fault_rate:.0%}", RED if s.fault_rate > 0.3 else NONE) if s.evictions else ("·", NONE)
        zone = (f"⚠ {s.upstream_error.split()[0]} ×{s.upstream_errors}", BOLD_RED) if s.upstream_error \
            else (s.zone, ZONES.get(s.zone, NONE))       # a failing upstream outranks the zone
        return [[(s.id, BOLD)], [(("└ " if s.parent else "") + s.client, GREY70)], [num(s.turns)], [zone], [(tokens(s.resident), GREEN)], [(tokens(s.evicted), ORANGE)],
                [num(s.faults)], [rate]]

    def show(self, sessions: list[SessionRow]) -> None:
        self.set_rows(sessions)

    def selected_changed(self, row: SessionRow) -> None:
        self.post_message(self.Chosen(row.id))


class FaultTable(VirtualTable):
    """The session's faults, newest on top. The cursor stays on the newest fault while it is at the top, otherwise
    on the same fault as new ones arrive above it."""

    COLUMNS = (Column("turn", "TURN", 4, True), Column("address", "ADDRESS", 22), Column("gap", "OUT→BACK", 9),
               Column("type", "TYPE", 5), Column("refaults", "×", 2))
    FLEX, FLEX_RANGE, DROP = "address", (10, 40), ("refaults", "type", "gap")

    def cells(self, f: FaultRow) -> list[Parts]:
        gap = f"t{f.eviction_turn}+{f.turns_since}"
        if f.seconds_since >= 1:
            gap += f" {f.seconds_since:.0f}s"
        return [[num(f.turn)], [(short_addr(f.address, self.root, self._widths[1]), NONE)], [(gap, GREY70)],
                [("major", RED) if f.major else ("minor", YELLOW)],
                [(str(f.refaults), BOLD_RED if f.refaults > 1 else NONE)]]

    def show(self, faults: list[FaultRow]) -> None:
        """`faults` oldest first, as the view model gives them."""
        if len(faults) == len(self._rows) and (not faults or faults[-1] is self._rows[0] or faults[-1] == self._rows[0]):
            return                                     # faults are only ever appended: same count, same newest
        at_top = self._cursor == 0
        self.set_rows(faults[::-1], 0 if at_top else None)
        if not at_top:
            self.scroll_to_cursor()


class PinTable(VirtualTable):
    COLUMNS = (Column("page", "PAGE", 10), Column("address", "ADDRESS", 20), Column("why", "WHY", 8),
               Column("since", "SINCE", 5, True))
    FLEX, FLEX_RANGE, DROP = "address", (10, 40), ("since", "page")

    def key(self, row: PinRow) -> str:
        return row.page

    def cells(self, p: PinRow) -> list[Parts]:
        why = (f"→ {PENDING_LABEL.get(p.pending, p.pending)}", PEND) if p.pending else (p.reason, CYAN)
        return [[(p.page, GREY62)], [(short_addr(p.address, self.root, self._widths[1]), NONE)], [why],
                [(f"t{p.since_turn}", NONE)]]

    def show(self, pins: list[PinRow]) -> None:
        self.set_rows(pins)
