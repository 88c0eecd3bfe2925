"""The virtualised table's look and column maths, as functions of its columns and widths: which columns fit a width,
where a click lands, how a row of cells becomes one line, and its default CSS."""
from __future__ import annotations

from typing import Any, Callable, Hashable, Iterable, Sequence

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from .cells import NONE, Column, Parts, fit

VTABLE_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        & > .vtable--header { text-style: bold; color: $text-muted; background: $surface; }
        & > .vtable--header-sorted { text-style: bold; color: $accent; background: $surface; }
        & > .vtable--even-row { background: $surface-lighten-1 50%; }
        &:dark > .vtable--even-row { background: $surface-darken-1 40%; }
        & > .vtable--cursor { background: $secondary 15%; color: $text; }
        &:focus > .vtable--cursor { background: $accent 40%; color: $text; text-style: bold; }
    }
"""


def fit_columns(cols: Sequence[Column], width: int, flex: str | None, flex_range: tuple[int, int], flex_floor: int,
                drop: Sequence[str]) -> tuple[int, ...]:
    """Column widths for `width` cells: whole columns are hidden (width 0) in `drop` order before any is cut, so
    a narrow pane never shows a header cut to one letter; the `flex` column takes the width the others leave."""
    widths = [c.width for c in cols]
    index = {c.key: i for i, c in enumerate(cols)}
    fi = index.get(flex) if flex else None
    drops = [index[k] for k in drop if k in index]
    lo, hi = flex_range
    while True:
        used = sum(w + 2 for i, w in enumerate(widths) if w and i != fi)
        room = width - used - (2 if fi is not None else 0)
        if room >= (lo if fi is not None else 0) or not drops:
            break
        widths[drops.pop(0)] = 0
    if fi is not None:
        widths[fi] = max(flex_floor, min(hi, room))
    return tuple(widths)


def table_width(widths: Iterable[int]) -> int:
    """Cells a line takes: each shown column plus a space of padding each side."""
    return sum(w + 2 for w in widths if w)


def column_at(cols: Sequence[Column], widths: Sequence[int], x: int) -> Column | None:
    """The shown column under cell `x` of a line (None past the last one)."""
    for col, w in zip(cols, widths):
        if not w:
            continue
        if x < w + 2:
            return col
        x -= w + 2
    return None


def line_segments(cols: Sequence[Column], widths: Sequence[int], cells: Iterable[Parts], base: Style,
                  weight_only: bool = False) -> list[Segment]:
    """One line of fitted cells (hidden columns left out); `weight_only` keeps bold/italic but drops the cells'
    colours (on the cursor highlight, orange states and red faults would vanish)."""
    segs: list[Segment] = []
    for col, w, parts in zip(cols, widths, cells):
        if not w:
            continue
        if weight_only:
            parts = [(text, Style(bold=st.bold, italic=st.italic) if st else st) for text, st in parts]
        segs += fit(parts, w, col.right, base)
    return segs


def kept_cursor(rows: Sequence[Any], cursor: int, keep: Hashable | None, key: Callable[[Any], Hashable]) -> int:
    """Where the cursor goes in a new row list: on the row whose key is `keep` if it is still there, else where it was,
    clamped to the list."""
    n = len(rows)
    if keep is not None and not (cursor < n and key(rows[cursor]) == keep):
        cursor = next((i for i, r in enumerate(rows) if key(r) == keep), cursor)
    return max(0, min(cursor, n - 1))


def header_strip(cols: Sequence[Column], widths: Sequence[int], labels: Iterable[tuple[str, bool]], base: Style,
                 hot: Style) -> Strip:
    """The header line: each label in `hot` style if highlighted (the page table's sort column), else `base`."""
    segs: list[Segment] = []
    for col, w, (label, lit) in zip(cols, widths, labels):
        segs += line_segments((col,), (w,), ([(label, NONE)],), hot if lit else base)
    return Strip(segs, table_width(widths))


def row_strip(cols: Sequence[Column], widths: Sequence[int], cells: Iterable[Parts], base: Style,
              cursor: bool) -> Strip:
    return Strip(line_segments(cols, widths, cells, base, weight_only=cursor), table_width(widths))


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """A new row count: update the scrollbars in place (a layout of the whole screen costs ~10 ms)."""
    if size == view.virtual_size:
        return
    if not view.is_mounted or not view.container_size or size.width != view.virtual_size.width:
        view.virtual_size = size
        return
    view.set_reactive(Widget.virtual_size, size)
    view._scroll_update(size)     # shows/hides scrollbars (that does lay out) and clamps the scroll offset
