"""Policy comparison for the recording being replayed (`analyze --compare` as a screen).

The app runs the analysis in a worker thread (core/lab/analysis.py, fresh engines, nothing shared with the replay's own
engine) and posts `CompareProgress` / `CompareReady`; this screen only renders the state it is given.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static


@dataclass
class CompareProgress(Message):
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, CompareProgress)


@dataclass
class CompareReady(Message):
    """The comparison finished: `headers` + `rows` (one per policy, then the clairvoyant bound), or an error."""

    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    primary: str = ""
    error: str = ""
    seconds: float = 0.0


@dataclass
class CompareState:
    source: str
    frames: int
    policies: list[str]
    done: int = 0
    total: int = 0
    ready: CompareReady | None = None


DROP_FIRST = ("f.rate", "bytes −%", "gc", "requests", "ctx end", "$ × bound", "token-turns kept", "× bound",
              "tokens −%")                      # on a narrow screen these columns go, in this order, before any is cut


def fit_columns(headers: list[str], rows: list[list[str]], width: int, extra: int = 0) -> list[int]:
    """Indices of the columns to show in `width` cells: whole columns are dropped (DROP_FIRST order) rather than
    every column cut to a few letters. `extra`: cells the best-policy marker adds to the first column."""
    need = [max([len(h)] + [len(row[i]) for row in rows if i < len(row)]) + (extra if i == 0 else 0)
            for i, h in enumerate(headers)]
    keep = list(range(len(headers)))
    for name in DROP_FIRST:
        if sum(need[i] + 3 for i in keep) - 3 <= width:     # a space of padding each side, one of rule between
            break
        if name in headers:
            keep.remove(headers.index(name))
    return keep


def compare_table(state: CompareState, width: int = 200) -> Any:
    r = state.ready
    if r is None:
        return Text(f"Replaying {state.frames:,} frames under {len(state.policies)} policies plus the clairvoyant "
                    f"bound in the background…", style="grey70")
    if r.error:
        return Text(f"comparison failed: {r.error}", style="bold red")
    best, all_thrash = best_policy(r.headers, r.rows)
    marker = "  ◀ lowest" if all_thrash else "  ◀ best"
    keep = fit_columns(r.headers, r.rows, width, len(marker))
    t = Table(expand=False, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold grey70",
              border_style="grey35")
    for i in keep:
        h = r.headers[i]
        t.add_column(h, justify="left" if i == 0 or h == "thrash" else "right", no_wrap=True)
    for row in r.rows:
        name = row[0]
        style = "grey50 italic" if name == "clairvoyant" else "bold #f0c674" if name == r.primary else ""
        cells = [Text(c, style=style) for c in row]
        if name == best:
            cells[0] = Text.assemble((name, style or "bold"), (marker, "bold yellow" if all_thrash else "bold green"))
        if row[-1]:
            cells[-1] = Text(row[-1], style="bold red")
        t.add_row(*[cells[i] for i in keep])
    hidden = [r.headers[i] for i in range(len(r.headers)) if i not in keep]
    measure = "spend" if _by_spend(r.headers, [row for row in r.rows if row[0] != "clairvoyant"]) else "cost"
    legend = Text.assemble(
        ("\n", ""), ("◀ lowest", "bold yellow") if all_thrash else ("◀ best", "bold green"),
        (f" lowest {measure}, but every policy thrashes on this recording · " if all_thrash
         else f" lowest {measure} among the policies that do not thrash · ", "grey58"), (r.primary, "bold #f0c674"),
        (" the policy this replay runs · ", "grey58"),
        *((("spend $", "bold"), (" the bill under the prompt-cache model, ", "grey58"), ("$ × bound", "bold"),
           (" against the cache bound, ", "grey58"), ("ctx end", "bold"),
           (" prompt tokens of the last request (docs/cache.md) · ", "grey58")) if "spend $" in r.headers else ()),
        ("cost", "bold"),
        (" = token-turns kept + handles + fault re-reads (docs/policies.md); ", "grey58"), ("× bound", "bold"),
        (" against the clairvoyant optimum of the same recording", "grey58"),
        (f"\nnot shown at this width: {', '.join(hidden)} (pichay-tui analyze FILE --compare all has them)"
         if hidden else "", "grey50"),
        (f"\ncomputed in {r.seconds:.1f} s on fresh engines (the replay's own position is untouched)", "grey42"))
    return Group(t, legend)


def best_policy(headers: list[str], rows: list[list[str]]) -> tuple[str, bool]:
    """(the policy to mark best, whether every policy thrashes). Best is the lowest cost among policies that do not
    thrash: cost already prices each fault as a re-read, but a thrashing policy keeps evicting what the model needs
    next, so its low cost comes with a model that keeps asking again. If all thrash, the lowest cost, said as such."""
    thrash = headers.index("thrash") if "thrash" in headers else None
    policies = [row for row in rows if row[0] != "clairvoyant"]
    if not policies:
        return "", False
    calm = [row for row in policies if thrash is None or not row[thrash]]
    pick = min(calm or policies, key=_price_key(headers, policies))
    return pick[0], not calm


def _by_spend(headers: list[str], rows: list[list[str]]) -> bool:
    """Rank by what users pay under prompt caching (spend $) when every policy has it, else by the token cost."""
    return "spend $" in headers and all(row[headers.index("spend $")].startswith(("$", "−$")) for row in rows)


def _price_key(headers: list[str], rows: list[list[str]]):
    if _by_spend(headers, rows):
        col = headers.index("spend $")
        return lambda row: float(row[col].replace("−", "-").replace("$", "").replace(",", ""))
    col = headers.index("cost")
    return lambda row: int(row[col].replace(",", "") or 0)


class CompareScreen(Screen):
    BINDINGS = [Binding("escape,q,P", "app.pop_screen", "Back", id="compare.back")]

    def __init__(self, state: CompareState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="compare-box"):
            yield ProgressBar(total=None, show_eta=False, id="compare-progress")
            yield Static(id="compare-table")
        yield Footer()

    def on_mount(self) -> None:
        box = self.query_one("#compare-box")
        box.border_title = f"Policy comparison · {Path(self.state.source).name}"
        box.border_subtitle = f"{self.state.frames:,} frames · {len(self.state.policies)} policies + bound · esc back"
        self.show(self.state)

    def show(self, state: CompareState) -> None:
        self.state = state
        bar = self.query_one(ProgressBar)
        bar.display = state.ready is None
        if state.total:
            bar.update(total=state.total, progress=state.done)
        self.query_one("#compare-table", Static).update(compare_table(state, self._width()))

    def _width(self) -> int:
        box = self.query_one("#compare-box")
        return (box.size.width or self.app.size.width - 6) - 1

    def on_resize(self) -> None:
        if self.state.ready is not None:
            self.query_one("#compare-table", Static).update(compare_table(self.state, self._width()))
