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

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.viewmodel import PageRow
from ..bindings import PAGE_TABLE_BINDINGS, TABLE_BINDINGS
from ..messages import OpenDetail, PageSelected
from .format import KIND_LABEL, PENDING_LABEL, STATE_STYLE, short_addr


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    right: bool = False            # right-justified (numbers)
    sort: str | None = None        # the view model's sort key for this column


COLUMNS = (Column("id", "PAGE", 10, sort="order"), Column("kind", "KIND", 7), Column("tool", "TOOL", 8, sort="tool"),
           Column("address", "ADDRESS", 44, sort="address"), Column("state", "STATE", 20, sort="state"),
           Column("tokens", "TOKENS", 7, True, "tokens"), Column("bytes", "BYTES", 8, True, "bytes"),
           Column("age", "AGE", 4, True, "age"), Column("faults", "FLT", 4, True, "faults"), Column("pin", "PIN", 8))
ADDRESS_MIN, ADDRESS_MAX = 30, 72  # the address column takes the width the others leave, within these bounds
_ADDR = next(i for i, c in enumerate(COLUMNS) if c.key == "address")


def _s(spec: str) -> Style:
    return Style.parse(spec) if spec else Style()


DIM, IDS, ERR, PIN, FAULT, PEND = _s("grey42"), _s("grey62"), _s("red"), _s("cyan"), _s("bold red"), _s("bold yellow")
NONE = Style()
STATE_PARTS = {state: (f"{glyph} {label}", _s(style)) for state, (glyph, label, style) in STATE_STYLE.items()}


def _num(n: int, zero: str = "·") -> tuple[str, Style]:
    return (f"{n:,}", NONE) if n else (zero, DIM)


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


def _fit(parts: list[tuple[str, Style]], width: int, right: bool, base: Style) -> list[Segment]:
    """One cell: a space of padding each side, the parts cut to `width` (with …) and justified."""
    used = 0
    out: list[Segment] = []
    for text, style in parts:
        n = cell_len(text)
        if used + n > width:
            room = width - used
            text = set_cell_size(text, room - 1) + "…" if room > 0 else ""
            n = room if room > 0 else 0
        if text:
            out.append(Segment(text, base + style if style else base))
        used += n
        if used >= width:
            break
    pad = Segment(" " * (width - used + 1), base)
    return [pad, *out, Segment(" ", base)] if right else [Segment(" ", base), *out, pad]


class PageTable(ScrollView, can_focus=True):
    """Renders rows from the view model; owns no paging state. `sync()` takes the rows to show."""

    inherit_bindings = False
    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ] + TABLE_BINDINGS + PAGE_TABLE_BINDINGS

    COMPONENT_CLASSES = {"page-table--header", "page-table--header-sorted", "page-table--cursor",
                         "page-table--even-row"}
    DEFAULT_CSS = """
    PageTable {
        background: $surface;
        color: $foreground;
        & > .page-table--header { text-style: bold; color: $text-muted; background: $surface; }
        & > .page-table--header-sorted { text-style: bold; color: $accent; background: $surface; }
        & > .page-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .page-table--even-row { background: $surface-darken-1 40%; }
        & > .page-table--cursor { background: $secondary 15%; color: $text; }
        &:focus > .page-table--cursor { background: $accent 40%; color: $text; text-style: bold; }
    }
    """

    @dataclass
    class SortRequested(Message):
        """A sortable column header was clicked."""

        key: str

    def __init__(self, root: str = "", **kw) -> None:
        super().__init__(**kw)
        self.root = root
        self.follow = False
        self._rows: list[PageRow] = []
        self._cursor = 0
        self._announced: str | None = None
        self._sort: tuple[str, bool] = ("order", False)
        self._widths: tuple[int, ...] = tuple(c.width for c in COLUMNS)
        self._lines: LRUCache[tuple, Strip] = LRUCache(1024)

    # ---- the row list ----
    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def rows(self) -> list[PageRow]:
        return self._rows

    @property
    def selected_id(self) -> str | None:
        return self._rows[self._cursor].id if 0 <= self._cursor < len(self._rows) else None

    def sync(self, rows: list[PageRow], sort: tuple[str, bool] | None = None) -> None:
        """Show these rows (already filtered and sorted); the cursor stays on the same page, or the newest in follow."""
        keep = self.selected_id
        self._rows = rows
        if sort is not None and sort != self._sort:
            self._sort = sort
        n = len(rows)
        if self.follow and n:
            self._cursor = n - 1
        elif keep is not None and not (self._cursor < n and rows[self._cursor].id == keep):
            self._cursor = next((i for i, r in enumerate(rows) if r.id == keep), min(self._cursor, max(n - 1, 0)))
        else:
            self._cursor = min(self._cursor, max(n - 1, 0))
        self.virtual_size = Size(self._table_width(), n + 1)
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif self.selected_id != keep:
            self._scroll_to_cursor()
        self.refresh()
        self._announce()

    def move_cursor(self, row: int, scroll: bool = True) -> None:
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        if row != self._cursor:
            self.refresh_line(self._cursor + 1)
            self._cursor = row
            self.refresh_line(row + 1)
        if scroll:
            self._scroll_to_cursor()
        self._announce()

    def _announce(self) -> None:
        sel = self.selected_id
        if sel is not None and sel != self._announced:
            self._announced = sel
            self.post_message(PageSelected(sel))

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top, rows = round(self.scroll_y), self._visible_rows()
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + rows:
            self.scroll_to(y=self._cursor - rows + 1, animate=False)

    # ---- geometry ----
    def _table_width(self) -> int:
        return sum(w + 2 for w in self._widths)

    def on_resize(self, event: events.Resize) -> None:
        fixed = sum(c.width + 2 for i, c in enumerate(COLUMNS) if i != _ADDR) + 2
        avail = event.size.width - self.styles.scrollbar_size_vertical   # as if the vertical scrollbar were shown
        address = max(ADDRESS_MIN, min(ADDRESS_MAX, avail - fixed))
        widths = tuple(address if i == _ADDR else c.width for i, c in enumerate(COLUMNS))
        if widths != self._widths:
            self._widths = widths
            self.virtual_size = Size(self._table_width(), len(self._rows) + 1)
            self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    # ---- rendering ----
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y == 0:
            strip = self._header()
        else:
            i = scroll_y + y - 1
            if i >= len(self._rows):
                return Strip.blank(width, self.rich_style)
            strip = self._row_line(i)
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _header(self) -> Strip:
        key, reverse = self._sort
        base = self.get_component_rich_style("page-table--header")
        hot = self.get_component_rich_style("page-table--header-sorted")
        segs: list[Segment] = []
        for col, w in zip(COLUMNS, self._widths):
            label = col.label
            style = base
            if col.sort and col.sort == key and (key != "order" or reverse):
                label += "▼" if reverse else "▲"
                style = hot
            segs += _fit([(label, NONE)], w, col.right, style)
        return Strip(segs, self._table_width())

    def _row_line(self, i: int) -> Strip:
        r = self._rows[i]
        cursor = i == self._cursor
        flag = 2 + self.has_focus if cursor else i % 2
        cache_key = (r, flag, self._widths, self.root)
        strip = self._lines.get(cache_key)
        if strip is None:
            base = self.rich_style
            if cursor:
                base = base + self.get_component_rich_style("page-table--cursor")
            elif flag:
                base = base + self.get_component_rich_style("page-table--even-row")
            segs: list[Segment] = []
            for col, w, parts in zip(COLUMNS, self._widths, row_cells(r, self.root, self._widths[_ADDR])):
                segs += _fit(parts, w, col.right, base)
            strip = Strip(segs, self._table_width())
            self._lines[cache_key] = strip
        return strip

    # ---- focus, mouse, keys ----
    def _on_focus(self, event: events.Focus) -> None:
        self.refresh_line(self._cursor + 1)

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh_line(self._cursor + 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        if offset.y == 0:
            x = offset.x + round(self.scroll_x)
            for col, w in zip(COLUMNS, self._widths):
                if x < w + 2:
                    if col.sort:
                        self.post_message(self.SortRequested(col.sort))
                    return
                x -= w + 2
            return
        i = round(self.scroll_y) + offset.y - 1
        if 0 <= i < len(self._rows):
            again = i == self._cursor
            self.move_cursor(i)
            if again or event.chain > 1:
                self.action_open_detail()

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_page_down(self) -> None:
        rows = self._visible_rows()
        self.scroll_to(y=round(self.scroll_y) + rows, animate=False)
        self.move_cursor(self._cursor + rows)

    def action_page_up(self) -> None:
        rows = self._visible_rows()
        self.scroll_to(y=round(self.scroll_y) - rows, animate=False)
        self.move_cursor(self._cursor - rows)

    def action_scroll_top(self) -> None:
        self.move_cursor(0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    def action_open_detail(self) -> None:
        if self.selected_id:
            self.post_message(OpenDetail(self.selected_id))
