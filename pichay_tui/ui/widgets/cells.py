"""Table cells as (text, style) parts cut to fixed widths: the hot path of every virtualised table (no Rich Text)."""
from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style

Parts = list[tuple[str, Style]]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    right: bool = False            # right-justified (numbers)
    sort: str | None = None        # the view model's sort key for this column (page table)


def style(spec: str) -> Style:
    return Style.parse(spec) if spec else Style()


NONE, DIM = Style(), style("grey42")


def num(n: int, zero: str = "·") -> tuple[str, Style]:
    return (f"{n:,}", NONE) if n else (zero, DIM)


def fit(parts: Parts, width: int, right: bool, base: Style) -> list[Segment]:
    """One cell: a space of padding each side, the parts cut to `width` (with …) and justified."""
    used = 0
    out: list[Segment] = []
    for text, st in parts:
        n = cell_len(text)
        if used + n > width:
            room = width - used
            text = set_cell_size(text, room - 1) + "…" if room > 0 else ""
            n = room if room > 0 else 0
        if text:
            out.append(Segment(text, base + st if st else base))
        used += n
        if used >= width:
            break
    pad = Segment(" " * (width - used + 1), base)
    return [pad, *out, Segment(" ", base)] if right else [Segment(" ", base), *out, pad]
