"""Modal dialogs: confirm a destructive command, prompt for a turn range and summary to collapse."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, title: str, body: str, yes: str = "Yes") -> None:
        super().__init__()
        self.title_text, self.body, self.yes = title, body, yes

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class CollapseScreen(ModalScreen[dict | None]):
    """Prompt for a turn range and the summary that replaces it; disabled when the core has no session.collapse."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, turns: int, available: bool, reason: str = "") -> None:
        super().__init__()
        self.turns, self.available, self.reason = turns, available, reason

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog collapse"):
            yield Label("Collapse a turn range", classes="dialog-title")
            if not self.available:
                yield Static(f"[b yellow]Not available:[/] {self.reason}", classes="dialog-warning")
            with Grid(classes="collapse-range"):
                yield Label("from turn")
                yield Input(str(max(1, self.turns - 6)), id="start", type="integer")
                yield Label("to turn")
                yield Input(str(max(1, self.turns - 2)), id="end", type="integer")
            yield Label("summary the model will see instead:")
            yield TextArea(id="summary")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Collapse", variant="warning", id="ok", disabled=not self.available)
                yield Button("Cancel (esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "ok":
            self.dismiss(None)
            return
        try:
            start, end = int(self.query_one("#start", Input).value), int(self.query_one("#end", Input).value)
        except ValueError:
            self.notify("turns must be numbers", severity="error")
            return
        summary = self.query_one("#summary", TextArea).text.strip()
        if not summary or start > end:
            self.notify("give a summary and a range with from ≤ to", severity="error")
            return
        self.dismiss({"first": start, "last": end, "summary": summary})

    def action_cancel(self) -> None:
        self.dismiss(None)
