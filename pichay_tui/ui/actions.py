"""App actions that only change the view (filter, sort, follow, screens) or steer the demo; no paging logic."""
from __future__ import annotations

from .widgets.page_table import PageTable


class ViewActions:
    """Mixed into PichayApp; uses its `vm`, `host`, `refresh_view` and main screen."""

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_turn_diff(self) -> None:
        from .screens.turndiff import TurnDiffScreen

        self.push_screen(TurnDiffScreen())

    def action_filter(self) -> None:
        self._main().open_filter(self.vm.filter.text)

    def action_clear_filter(self) -> None:
        self.vm.set_filter("")
        self._main().close_filter()
        self.refresh_view(force=True)

    def action_sort(self) -> None:
        self.notify(f"sorted by {self.vm.cycle_sort()}", timeout=1.5)
        self.refresh_view(force=True)

    def action_reverse_sort(self) -> None:
        self.vm.sort_reverse = not self.vm.sort_reverse
        self.refresh_view(force=True)

    def action_follow(self) -> None:
        table = self._main().query_one(PageTable)
        table.follow = not table.follow
        if table.follow and table.row_count:
            table.move_cursor(row=table.row_count - 1)
        self.refresh_view(force=True)

    def action_show_all(self) -> None:
        self.vm.show_all = not self.vm.show_all
        self.refresh_view(force=True)

    def action_toggle_log(self) -> None:
        self._main().toggle_log()

    def action_focus(self, name: str) -> None:
        self._main().focus_panel(name)

    def action_pause(self) -> None:
        if getattr(self.host, "controllable", False):
            self.host.toggle_pause()

    def action_step(self) -> None:
        if getattr(self.host, "controllable", False):
            self.host.step_once()

    def action_speed(self, factor: float) -> None:
        if getattr(self.host, "controllable", False):
            self.host.set_speed(factor)

    def action_quit_app(self) -> None:
        from .screens.dialogs import ConfirmScreen

        live = self.vm.live(self.clock()) if self.host is not None else []
        agent = self.host.agent_cmd[0].rsplit("/", 1)[-1] if getattr(self.host, "agent_running", False) else ""
        if not live and not agent:
            self.exit()
            return
        lines = []
        if agent:
            lines.append(f"Quitting stops the agent pichay-tui launched ({agent}, pid {self.host.proc.pid}) and the proxy.")
        if live:
            lines.append(f"{len(live)} session(s) are live; " + ("their" if agent else "the") +
                         " agents lose their endpoint.")
        self.push_screen(ConfirmScreen("Quit pichay-tui?", "\n".join(lines), yes="Quit"),
                         lambda yes: yes and self.exit())
