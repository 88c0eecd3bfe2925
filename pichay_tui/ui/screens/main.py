"""The live screen: sessions + memory gauge on top, the page table, then fault timeline, pin set and agent log."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, RichLog

from ...core.errors import FilterError
from ...core.view.model import ViewModel
from ..widgets.gauge import MemoryGauge
from ..widgets.header import HeaderBar
from ..widgets.page_table import PageTable
from ..widgets.panels import FaultTable, PinTable, SessionsTable


class MainScreen(Screen):
    def __init__(self, root: str = "") -> None:
        super().__init__(id="main")
        self.root = root
        self.ready = False
        self._shown_titles: dict[str, tuple[str, str | None]] = {}

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        with Horizontal(id="top"):
            yield SessionsTable(id="sessions")
            yield MemoryGauge(id="gauge")
        with Vertical(id="pages-box"):
            yield PageTable(root=self.root, id="pages")
            yield Input(placeholder="filter: tool:Read state:evicted tokens>2k path:src/ faults>0 age>4 · ! & | ()",
                        id="filter")
        with Horizontal(id="bottom"):
            yield FaultTable(id="faults")
            yield PinTable(id="pins")
            yield RichLog(id="agent-log", max_lines=2000, wrap=False, markup=False)
        yield Footer()

    SHORT, TINY = 32, 22    # below these heights the panes around the page table shrink, then the bottom row hides

    def on_resize(self, event) -> None:
        self._fit_height(event.size.height)

    def _fit_height(self, height: int) -> None:
        """Keep at least 8 page rows: on short terminals the sessions/gauge and fault/pin rows shrink to 2 rows each,
        and on tiny ones the bottom row hides."""
        self.set_class(height < self.SHORT, "short")
        self.set_class(height < self.TINY, "tiny")

    def on_mount(self) -> None:
        self._fit_height(self.app.size.height)
        titles = {"sessions": "Sessions", "gauge": "Memory", "pages-box": "Pages", "faults": "Fault timeline",
                  "pins": "Pin set", "agent-log": "Agent output"}
        for wid, title in titles.items():
            self.query_one(f"#{wid}").border_title = title
        for t in (self.query_one(FaultTable), self.query_one(PinTable)):
            t.root = self.root
        self.query_one(PageTable).focus()
        self.ready = True
        if getattr(self.app, "show_log_on_start", False):
            self.toggle_log(True)
        self.app.refresh_view(force=True)

    # ---- attributes down ----
    def update_view(self, vm: ViewModel, sessions_changed: bool) -> None:
        """Push the view model into the panes. Each pane repaints only when its own input changed: the tables
        compare rows, the gauge compares values, titles are set only when their text differs (setting a border
        title repaints the whole pane)."""
        pages = self.query_one(PageTable)
        if sessions_changed:
            self.query_one(SessionsTable).show(vm.sessions())
            problem = vm.upstream_problem()
            self._titles("#sessions", "Sessions", f"⚠ upstream {problem}" if problem else "")
            self.query_one(SessionsTable).set_class(bool(problem), "upstream-failing")
        rows = vm.rows()
        pages.sync(rows, (vm.sort_key, vm.sort_reverse))
        total = vm.page_count()
        sort = vm.sort_key + (" ↓" if vm.sort_reverse else "")
        bits = [f"sort {sort}"]
        if vm.filter.text:
            bits.append(f"filter {vm.filter.text}")
        if pages.follow:
            bits.append("follow")
        if vm.show_all:
            bits.append("all blocks")
        self._titles("#pages-box", f"Pages · {vm.selected or '—'} · {len(rows):,}/{total:,}", " · ".join(bits))
        self.query_one(MemoryGauge).gauge = vm.gauge()
        faults = self.query_one(FaultTable)
        faults.show(vm.faults())
        warn = vm.thrash_warning()
        s = vm.session()
        self._titles("#faults", f"Fault timeline · {s.stats.faults if s else 0}", f"⚠ {warn}" if warn else "")
        faults.set_class(bool(warn), "thrashing")
        pins = vm.pins()
        self.query_one(PinTable).show(pins)
        self._titles("#pins", f"Pin set · {len(pins)}")

    def _titles(self, selector: str, title: str, subtitle: str | None = None) -> None:
        """Set a pane's border title (and subtitle) only if it changed."""
        key = (title, subtitle)
        if self._shown_titles.get(selector) != key:
            self._shown_titles[selector] = key
            w = self.query_one(selector)
            w.border_title = title
            if subtitle is not None:
                w.border_subtitle = subtitle

    def set_url(self, url: str, status: str = "", mode: str = "page", policy: str = "", token: str = "") -> None:
        for h in self.query(HeaderBar).results(HeaderBar):          # none while the app shuts down
            h.url, h.status, h.mode, h.policy, h.token = url, status, mode, policy, token

    def set_intercept(self, label: str) -> None:
        self.query_one(HeaderBar).intercept = label

    def log_line(self, line: str) -> None:
        for log in self.query("#agent-log").results(RichLog):     # none while the app shuts down
            log.write(line)

    def toggle_log(self, show: bool | None = None) -> None:
        self.set_class(not self.has_class("with-log") if show is None else show, "with-log")

    # ---- filter ----
    def open_filter(self, text: str) -> None:
        inp = self.query_one("#filter", Input)
        inp.value = text
        self.add_class("filtering")
        inp.focus()

    def close_filter(self) -> None:
        """Hide the filter input and give the page table focus back; the rest of the screen stays as it is."""
        self.remove_class("filtering")
        self.query_one(PageTable).focus()
        self.app.refresh_view(force=True)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        try:
            self.app.vm.set_filter(event.value)
        except FilterError as e:
            event.input.border_subtitle = f"{e} (at {e.pos})"
            event.input.add_class("error")
            return
        event.input.border_subtitle = ""
        event.input.remove_class("error")
        self.app.refresh_view(force=True)

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.input.has_class("error"):
            self.close_filter()

    def focus_panel(self, name: str) -> None:
        self.query_one(f"#{name}").focus()
