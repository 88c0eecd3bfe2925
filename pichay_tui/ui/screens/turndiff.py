"""Turn diff: per client request, what the client sent vs what went upstream, and the cache cost of the change."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ...core.view.turndiff import TurnRecord
from ..bindings import TABLE_BINDINGS
from ..widgets.format import short_addr, tokens


class Turns(DataTable):
    BINDINGS = TABLE_BINDINGS


class TurnDiffScreen(Screen):
    BINDINGS = [Binding("escape,q,d", "app.pop_screen", "Back", id="turndiff.back")]

    def compose(self) -> ComposeResult:
        with Horizontal(id="diff-body"):
            yield Turns(id="turns", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="diff-detail"):
                yield Static(id="diff-text")
        yield Footer()

    def on_mount(self) -> None:
        t = self.query_one(Turns)
        t.add_columns("REQ", "TURN", "CLIENT", "SENT", "SAVED", "Δ PAGES", "CACHE")
        self.query_one("#diff-detail").border_title = "Client request → upstream"
        self.reload(follow=False)
        t.focus()

    def reload(self, follow: bool) -> None:
        """(Re)build from the view model's turn log — the current engine's, so a replay jump is followed. `follow`
        selects the newest request (the frame just applied); otherwise the latest one with a fault or page change."""
        vm = self.app.vm
        self.records = vm.turns.for_session(vm.selected)
        t = self.query_one(Turns)
        t.border_title = f"Requests · {vm.selected or '—'}"
        t.clear()
        for r in self.records:
            t.add_row(str(r.request_no), str(r.turn), tokens(r.tokens_in), tokens(r.tokens_out),
                      Text(tokens(r.saved), style="green" if r.saved else "grey42"),
                      Text(f"−{len(r.evicted)} +{len(r.restored)}" if r.page_changes else "·",
                           style="dark_orange" if r.page_changes else "grey42"),
                      Text(tokens(r.predicted_invalidated) if r.predicted_invalidated else "·",
                           style="red" if r.predicted_invalidated else "grey42"))
        interesting = [] if follow else [i for i, r in enumerate(self.records) if r.faulted] or \
            [i for i, r in enumerate(self.records) if r.page_changes]
        if self.records:
            row = interesting[-1] if interesting else len(self.records) - 1
            t.move_cursor(row=row)
            self.query_one("#diff-text", Static).update(self.render_record(self.records[row]))
        else:
            self.query_one("#diff-text", Static).update(Text("no requests yet", style="grey50"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.records):
            self.query_one("#diff-text", Static).update(self.render_record(self.records[event.cursor_row]))

    def _label(self, pid: str) -> str:
        p = self.app.vm.session().pages.get(pid) if self.app.vm.session() else None
        return f"{p.tool or p.kind.value} {short_addr(p.address, self.app.root, 40)}" if p else pid

    def _mini_diff(self, pid: str, out: bool = True) -> Text:
        """What this request changed for one page: for an eviction the client's block (first lines) against the
        handle the model got instead; for a restore the other way round. The handle comes from the page, not from the
        newest request: a page restored since (or a small page whose lines all show) would otherwise read as the
        same lines on both sides."""
        from ...core.model.handles import handle_text

        original, now = self.app.tap.content(self.app.vm.selected or "", pid)
        s = self.app.vm.session()
        page = s.pages.get(pid) if s else None
        handle = now if page is not None and page.state.is_out and now and now != original else \
            (handle_text(page) if page is not None else now)
        t = Text(f"{pid} {self._label(pid)}\n", style="bold")
        lines = original.splitlines()
        content = [(f"{line.expandtabs(2)[:110]}", "") for line in lines[:3]]
        if len(lines) > 3:
            content.append((f"… {len(lines) - 3:,} more lines", " dim"))
        if out:
            for line, dim in content:
                t.append(f"- {line}\n", style="red" + dim)
            t.append(f"+ {handle[:220]}", style="green")
        else:
            t.append(f"- {handle[:220]}\n", style="red")
            for i, (line, dim) in enumerate(content):
                t.append(f"+ {line}" + ("\n" if i < len(content) - 1 else ""), style="green" + dim)
        return t

    def render_record(self, r: TurnRecord) -> Group:
        head = Table.grid(padding=(0, 2))
        head.add_column(style="grey58")
        head.add_column()
        head.add_row("request", f"#{r.request_no} · user turn {r.turn}" + (f" · zone → {r.zone}" if r.zone else ""))
        head.add_row("client sent", f"{r.tokens_in:,} tokens")
        head.add_row("we sent", Text.assemble(f"{r.tokens_out:,} tokens  ", (f"−{r.saved:,}", "bold green")))
        head.add_row("handles", f"{r.handles} page(s) shown to the model as handles")
        pred = r.predicted_invalidated
        rw = self.app.vm.rewrite_cost(r.request_no)
        text = f"{pred:,} tokens after the first changed block" if pred else "prefix unchanged: no cache cost"
        if pred and rw:
            text += (f" · beyond the 20-block lookback: ~{rw[0]:,} message tokens re-written" if rw[1] else
                     f" · ~{rw[0]:,} tokens re-written") + f" ≈ ${rw[2]:,.4f}"
        elif pred:
            text += " · cache cold anyway: no extra cost"
        head.add_row("cache (predicted)", Text(text, style="red" if pred and rw else "green"))
        o = r.observed or {}
        ours = self.app.vm.observed_usage_is_ours
        head.add_row("cache (observed)" if ours else "cache (recorded)",
                     f"read {o.get('cache_read_input_tokens', 0):,} · written "
                     f"{o.get('cache_creation_input_tokens', 0):,} · uncached {o.get('input_tokens', 0):,}"
                     + ("" if ours else " — billed the recording's bytes, not this replay's (scaled)")
                     if o else "no usage reported yet")
        changes = Table(box=None, padding=(0, 1), expand=True, show_edge=False)
        changes.add_column("", width=2)
        changes.add_column("page", style="grey62", width=10)
        changes.add_column("what", ratio=1)
        changes.add_column("client → upstream", ratio=1)
        for pid, why in r.evicted:
            changes.add_row(Text("−", style="bold dark_orange"), pid, self._label(pid), f"content → handle ({why})")
        for pid, why in r.restored:
            changes.add_row(Text("+", style="bold green"), pid, self._label(pid), f"handle → content ({why})")
        for pid in r.faulted:
            changes.add_row(Text("↺", style="bold red"), pid, self._label(pid), "fault: the model asked again")
        for pid, why in r.pinned:
            changes.add_row(Text("◆", style="cyan"), pid, self._label(pid), f"pinned ({why})")
        for c in r.commands:
            changes.add_row(Text("→", style="yellow"), "", "operator", c)
        rows = self.app.vm.all_rows()
        added = [p for p in r.added if p in rows and rows[p].kind == "tool_result"]
        parts = [head, Text(""), Text("Changes in this request", style="bold underline")]
        parts.append(changes if changes.row_count else Text("none — the client's blocks were sent as they are",
                                                            style="grey50"))
        for pid, out in ([(p, True) for p, _ in r.evicted] + [(p, False) for p, _ in r.restored])[:3]:
            parts += [Text(""), self._mini_diff(pid, out)]
        if added:
            parts += [Text(""), Text("New tool results: " + ", ".join(self._label(p) for p in added), style="grey70")]
        return Group(*parts)
