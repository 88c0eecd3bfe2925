"""Memory gauge: what the client holds vs what the model is sent, against the window and the live zone lines."""
from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ...core.view.model import Gauge
from .format import ZONE_STYLE, tokens

ZONE_COLOURS = {"normal": "green", "advisory": "yellow", "involuntary": "dark_orange", "aggressive": "red"}


class MemoryGauge(Widget):
    """Two bars over the context window: the client's view (resident + evicted) and the model's (sent)."""

    gauge: reactive[Gauge | None] = reactive(None, layout=False)
    empty_text = "waiting for the first request…"            # before any request (replay says how to start)

    def _bar(self, width: int, g: Gauge, label: str, parts: list[tuple[int, str, str]]) -> Text:
        t = Text.assemble((f"{label:<7}", "grey70"))   # a span, not Text.style: Textual re-parses that per paint
        marks = {min(width - 1, int(limit / g.window * width)): name for name, limit in g.thresholds}
        cells: list[tuple[str, str]] = []
        for amount, char, style in parts:
            cells += [(char, style)] * int(round(amount / g.window * width))
        cells = cells[:width]
        for i in range(len(cells), width):
            cells.append(("┊", ZONE_COLOURS[marks[i]]) if i in marks else ("·", "grey30"))
        run, run_style = "", None          # one span per run of equal cells, not per cell: a span costs ~3 µs a paint
        for ch, style in cells:
            if style != run_style and run:
                t.append(run, style=run_style)
                run = ""
            run, run_style = run + ch, style
        if run:
            t.append(run, style=run_style)
        return t

    def _labels(self, width: int, g: Gauge) -> Text:
        """Zone names placed under their threshold marks."""
        line = [" "] * (width + 7)
        styles: list[tuple[int, int, str]] = []
        marks = [7 + min(width - 1, int(limit / g.window * width)) for _, limit in g.thresholds]
        for i, (name, limit) in enumerate(g.thresholds):
            at = marks[i]
            label = f"┊{name[:3]} {tokens(limit)}"
            if i + 1 < len(marks) and at + len(label) >= marks[i + 1]:
                label = f"┊{name[:3]}"           # no room before the next mark: the name alone, never half a number
            if at + len(label) > len(line):
                at = len(line) - len(label)
            line[at:at + len(label)] = list(label)
            styles.append((at, at + len(label), ZONE_COLOURS[name]))
        t = Text("".join(line))
        t.stylize("grey50")
        for a, b, st in styles:
            t.stylize(st, a, b)
        return t

    def render(self) -> Text:
        g = self.gauge
        if g is None:
            return Text.assemble((self.empty_text, "grey50 italic"))
        width = max(10, self.size.width - 9)
        zone_col = ZONE_COLOURS.get(g.zone, "green")
        model_body = max(0, g.tokens - g.header)
        out = self._bar(width, g, "client", [(g.header, "█", "grey50"), (g.resident - g.header, "█", "green"),
                                             (g.evicted, "▒", "dark_orange")])
        out.append("\n")
        out.append_text(self._bar(width, g, "model", [(g.header, "█", "grey50"), (model_body, "█", zone_col)]))
        out.append("\n")
        if self.size.height >= 4:            # short terminals: the zone labels give way to the numbers
            out.append_text(self._labels(width, g))
            out.append("\n")
        narrow = self.size.width < 60
        summary = Text.assemble(
            ("model ", "grey70"), (f"{tokens(g.tokens)}", f"bold {zone_col}"), (f" {g.tokens / g.window:.0%}", zone_col),
            (" │ res " if narrow else " │ resident ", "grey50"), (tokens(g.resident), "green"),
            (" · ev " if narrow else " · evicted ", "grey50"), (tokens(g.evicted), "dark_orange"),
            (" │ ", "grey50"), (g.zone, ZONE_STYLE.get(g.zone, "")),
            (f" · {tokens(g.to_next)} to {g.next_zone}" if g.next_zone else " · top zone", "grey70"))
        summary.truncate(max(10, self.size.width), overflow="ellipsis")    # one line, never wrapped
        out.append_text(summary)
        if g.spend_usd is not None:
            spend = Text.assemble(
                ("spend ", "grey70"), (f"${g.spend_usd:,.2f}", "bold"),
                ("" if g.spend_observed else " est.", "grey50"),
                (" · vs no pager ", "grey50"),
                (f"{'saves' if (g.saving_usd or 0) >= 0 else 'costs'} ${abs(g.saving_usd or 0):,.2f} est.",
                 "green" if (g.saving_usd or 0) >= 0 else "red"))
            spend.truncate(max(10, self.size.width), overflow="ellipsis")
            out.append("\n")
            out.append_text(spend)
        return out
