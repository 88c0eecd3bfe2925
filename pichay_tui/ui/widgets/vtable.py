"""A virtualised table: a Line-API ScrollView that renders only the rows on screen, shared by every table pane.

Rows are any hashable values (named tuples, frozen dataclasses); a subclass says how a row splits into cells
(`cells`) and what identifies it (`key`). `set_rows()` swaps the row list, keeps the cursor on the same row and
repaints what is visible; an equal list costs one comparison. Rendered lines are cached by row value. A change in
row count updates the scrollbars without a screen layout (only showing or hiding a scrollbar lays out).
"""
from __future__ import annotations

from typing import Any, Hashable, Sequence

from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..bindings import TABLE_BINDINGS
from .cells import Column, Parts
from .vtable_layout import (VTABLE_CSS, column_at, fit_columns, header_strip, kept_cursor, row_strip, set_virtual_size,
                            table_width)


class VirtualTable(ScrollView, can_focus=True):
    """Header line + one line per row; a row cursor moved by keys and mouse. Owns no data beyond the row list."""

    inherit_bindings = False
    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ] + TABLE_BINDINGS
    COLUMNS: tuple[Column, ...] = ()
    FLEX: str | None = None              # the column that takes the width the others leave ...
    FLEX_RANGE: tuple[int, int] = (0, 0)  # ... preferably at least the first, at most the second
    FLEX_FLOOR = 8                       # below the preferred minimum only once no column is left to hide
    DROP: tuple[str, ...] = ()           # columns hidden, in this order, when the pane is too narrow for all
    ZEBRA = False
    COMPONENT_CLASSES = {"vtable--header", "vtable--header-sorted", "vtable--cursor", "vtable--even-row"}
    DEFAULT_CSS = VTABLE_CSS

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.root = ""
        self._rows: Sequence[Any] = ()
        self._cursor = 0
        self._announced: Hashable | None = None
        self._widths: tuple[int, ...] = tuple(c.width for c in self.COLUMNS)
        self._fitted_for: tuple[int, int] = (0, 0)
        self._lines: LRUCache[tuple, tuple[Strip, Style]] = LRUCache(1024)

    # ---- for subclasses ----
    def cells(self, row: Any) -> list[Parts]:
        raise NotImplementedError

    def key(self, row: Any) -> Hashable:
        return row

    def selected_changed(self, row: Any) -> None:
        """The cursor is on another row (by key) than last announced."""

    # ---- the row list ----
    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def rows(self) -> Sequence[Any]:
        return self._rows

    @property
    def selected(self) -> Any:
        return self._rows[self._cursor] if 0 <= self._cursor < len(self._rows) else None

    def set_rows(self, rows: Sequence[Any], cursor: int | None = None) -> bool:
        """Show these rows; the cursor stays on the same row (by key) unless `cursor` says where. False if unchanged."""
        if cursor is None and rows == self._rows:
            return False
        old = self.selected
        self._rows = rows
        n = len(rows)
        self._cursor = kept_cursor(rows, self._cursor if cursor is None else cursor,
                                   None if old is None or cursor is not None else self.key(old), self.key)
        self._refit()                 # more rows than fit: make room for the scrollbar
        set_virtual_size(self, Size(self._table_width(), n + 1))
        self.refresh()
        self._announce()
        return True

    def move_cursor(self, row: int, scroll: bool = True) -> None:
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        if row != self._cursor:
            self.refresh_line(self._cursor + 1)
            self._cursor = row
            self.refresh_line(row + 1)
        if scroll:
            self.scroll_to_cursor()
        self._announce()

    def _announce(self) -> None:
        # posted from this widget's own loop: a message created while an ancestor's handler runs (the app's
        # refresh, the screen's mount) has that ancestor as sender, and Textual stops it bubbling there
        self.call_next(self._announce_now)

    def _announce_now(self) -> None:
        row = self.selected
        if row is not None and self.key(row) != self._announced:
            self._announced = self.key(row)
            self.selected_changed(row)

    def visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def scroll_to_cursor(self) -> None:
        top, rows = round(self.scroll_y), self.visible_rows()
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + rows:
            self.scroll_to(y=self._cursor - rows + 1, animate=False)

    def _table_width(self) -> int:
        return table_width(self._widths)

    # ---- column widths ----
    def fit_columns(self, width: int) -> tuple[int, ...]:
        """Column widths for `width` cells under this table's FLEX and DROP rules (see vtable_layout.fit_columns)."""
        return fit_columns(self.COLUMNS, width, self.FLEX, self.FLEX_RANGE, self.FLEX_FLOOR, self.DROP)

    def on_resize(self, event: events.Resize) -> None:
        self._refit()

    def _refit(self) -> None:
        """Fit the columns to the content width, less the vertical scrollbar when the rows overflow."""
        width, height = self.size
        if not width:
            return
        bar = self.styles.scrollbar_size_vertical if len(self._rows) + 1 > height else 0
        if (width, bar) == self._fitted_for:
            return
        self._fitted_for = (width, bar)
        widths = self.fit_columns(width - bar)
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
            strip = self.header_line()
        else:
            i = scroll_y + y - 1
            if i >= len(self._rows):
                return Strip.blank(width, self.rich_style)
            strip, base = self._row_line(i)
            return strip.crop_extend(scroll_x, scroll_x + width, base)   # the row's background to the edge
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def header_labels(self) -> list[tuple[str, bool]]:
        """Each column's header text and whether it is highlighted (the page table marks its sort column)."""
        return [(c.label, False) for c in self.COLUMNS]

    def header_line(self) -> Strip:
        return header_strip(self.COLUMNS, self._widths, self.header_labels(),
                            self.get_component_rich_style("vtable--header"),
                            self.get_component_rich_style("vtable--header-sorted"))

    def _row_line(self, i: int) -> tuple[Strip, Style]:
        r = self._rows[i]
        cursor = i == self._cursor
        flag = 2 + self.has_focus if cursor else (i % 2 if self.ZEBRA else 0)
        cache_key = (r, flag, self._widths, self.root)
        line = self._lines.get(cache_key)
        if line is None:
            base = self.rich_style
            if cursor:
                base = base + self.get_component_rich_style("vtable--cursor")
            elif flag:
                base = base + self.get_component_rich_style("vtable--even-row")
            line = self._lines[cache_key] = (row_strip(self.COLUMNS, self._widths, self.cells(r), base, cursor), base)
        return line

    # ---- focus, mouse, keys ----
    def _on_focus(self, event: events.Focus) -> None:
        self.refresh_line(self._cursor + 1)

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh_line(self._cursor + 1)

    def header_clicked(self, col: Column) -> None:
        """A click on a column header."""

    def activate(self) -> None:
        """Enter, or a click on the selected row (the page table opens the page detail)."""

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        if offset.y == 0:
            col = column_at(self.COLUMNS, self._widths, offset.x + round(self.scroll_x))
            if col is not None:
                self.header_clicked(col)
            return
        i = round(self.scroll_y) + offset.y - 1
        if 0 <= i < len(self._rows):
            again = i == self._cursor
            self.move_cursor(i)
            if again or event.chain > 1:
                self.activate()

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_page_down(self) -> None:
        self._page(self.visible_rows())

    def action_page_up(self) -> None:
        self._page(-self.visible_rows())

    def _page(self, rows: int) -> None:
        self.scroll_to(y=round(self.scroll_y) + rows, animate=False)
        self.move_cursor(self._cursor + rows)

    def action_scroll_top(self) -> None:
        self.move_cursor(0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(len(self._rows) - 1)
