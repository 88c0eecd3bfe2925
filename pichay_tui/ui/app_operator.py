"""Operator commands from keys and the palette: ask the engine whether one applies, confirm what destroys, issue.

A helper the app holds (`app.operator`), not a mixin: `PichayApp.action_op` and `PichayApp.issue` delegate here; the
command itself goes through `app.send_command` (the engine live, the replay's record in a replay).
"""
from __future__ import annotations

from typing import Any

from ..core.errors import CommandError
from . import operator as ops
from .messages import CommandQueued, CommandRejected
from .screens.dialogs import CollapseScreen, ConfirmScreen


class OperatorControls:
    """Runs one operator action for the app: a refusal is a warning toast, a destructive command asks first."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def run(self, command: str) -> None:
        app = self.app
        row = app.selected_row()
        ok, why = ops.applicable(app.vm, command, row)
        if command == ops.COLLAPSE:
            s = app.vm.session()
            if ok and s is None:
                ok, why = False, "no session yet"
            app.push_screen(CollapseScreen(s.turn if s else 0, ok, why), self._collapse_answer)
            if not ok:
                app.post_message(CommandRejected(command, why))
            return
        if not ok:
            app.notify(why, title=command, severity="warning")
            app.post_message(CommandRejected(command, why))
            return
        page = row.id if ops.ACTIONS[command].needs_page else None
        if ops.destructive(command):
            what = f"page {page} ({row.tool} {row.address})" if page else f"session {app.vm.selected}"
            app.push_screen(ConfirmScreen(f"{ops.ACTIONS[command].label}?",
                                          f"{command} on {what}.\nIt applies at the session's next request.",
                                          yes=ops.ACTIONS[command].label.split()[0]),
                            lambda yes: yes and app.issue(command, page=page))
        else:
            app.issue(command, page=page)

    def _collapse_answer(self, answer: dict | None) -> None:
        if answer:
            self.app.issue(ops.COLLAPSE, **answer)

    def issue(self, command: str, **args: Any) -> bool:
        """Send one named command (queued until the next request); report the outcome."""
        app = self.app
        try:
            app.send_command(command, session=app.vm.selected, **args)
        except CommandError as e:
            app.notify(str(e), title=command, severity="error")
            app.post_message(CommandRejected(command, str(e)))
            return False
        app.notify(f"{command} {args.get('page') or ''} queued — applies at the next request", title="pending")
        app.post_message(CommandQueued(command, app.vm.selected or "", args.get("page")))
        app.refresh_view(force=True)
        return True
