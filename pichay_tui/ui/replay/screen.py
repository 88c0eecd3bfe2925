"""The replay screen: the live main screen plus a two-row timeline bar of evictions, faults and zone changes."""
from __future__ import annotations

from textual.widgets import Static

from ...core.recording.controller import ReplayController
from ..screens.main import MainScreen

TIMELINE_STYLE = {"e": "dark_orange", "F": "bold red", "z": "yellow", "▲": "bold #f0c674"}


class ReplayScreen(MainScreen):
    """The live screen plus a timeline bar."""

    SHORT, TINY = 34, 26   # the timeline takes two rows: at 80×24 the fault/pin row gives way to 8+ page rows

    def compose(self):
        from textual.widgets import Footer

        for widget in super().compose():
            if isinstance(widget, Footer):              # the timeline sits above the footer, not over it
                bar = Static("", id="replay-timeline")
                bar.styles.height = 2
                yield bar
            yield widget

    def on_mount(self) -> None:
        from ..widgets.header import HeaderBar

        # Textual runs MainScreen.on_mount after this one (handlers run per class of the MRO): calling it here too
        # set the pane titles twice, the second time behind the title cache, so they lost their counts
        from ..widgets.gauge import MemoryGauge

        self.query_one(HeaderBar).offline = ""
        self.query_one(MemoryGauge).empty_text = "frame 0: no request applied yet — → steps to the first one"
        self.call_after_refresh(self.app.moved)       # the timeline and status from frame 0 on, at the real width

    def on_resize(self) -> None:
        if self.ready:
            self.show_timeline(self.app.controller, self.app.host.status_line())

    def show_timeline(self, controller: ReplayController, status: str) -> None:
        from rich.text import Text

        bar = self.query_one("#replay-timeline", Static)
        width = max(10, (self.size.width or 80) - 4)
        line = Text()
        for ch in controller.timeline(width):
            line.append(ch, style=TIMELINE_STYLE.get(ch, "grey35"))
        line.append("\n")
        line.append(status, style="grey70")
        line.append("   e evict", style="dark_orange")
        line.append(" · ", style="grey42")
        line.append("F fault", style="bold red")
        line.append(" · ", style="grey42")
        line.append("z zone", style="yellow")
        line.append(" · ", style="grey42")
        line.append("▲ here", style="bold #f0c674")
        line.append("   → ← step · [ ] marks · space play", style="grey50")
        bar.update(line)
