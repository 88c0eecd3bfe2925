"""The Textual app: owns the view model, pushes it into the screens at a capped rate, and turns keys into commands.

Engine events are buffered by a subscriber (cheap, any thread) and fed to the view model on a timer (5-10 Hz), so a
burst of thousands of events costs one redraw. Operator actions go through `engine.command`, the same path as the
HTTP control API. Infrastructure (proxy, agent, demo) lives in a `Host`; the app only starts it as a worker.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App
from textual.worker import Worker, WorkerState

from ..core.events import SessionStarted
from ..core.view.turndiff import BodyTap
from ..core.view.model import ViewModel
from . import operator as ops
from .bindings import APP_BINDINGS
from .actions import ViewActions
from .app_host import HostView
from .app_intercept import InterceptControls
from .app_operator import OperatorControls
from .config import UIConfig
from .messages import (AgentOutput, HostStatus, InterceptChanged, OpenDetail, PageSelected, UpstreamProblem,
                       ViewRefreshed)
from .palette import OperatorCommands
from .screens.main import MainScreen
from .widgets.page_table import PageTable
from .widgets.panels import SessionsTable


MAIN_ONLY = {"op", "filter", "clear_filter", "sort", "reverse_sort", "follow", "show_all", "turn_diff", "toggle_log",
             "focus", "pause", "speed", "step"}


class PichayApp(ViewActions, App):
    CSS_PATH = Path(__file__).with_name("pichay.tcss")
    TITLE = "pichay-tui"
    BINDINGS = APP_BINDINGS
    COMMANDS = App.COMMANDS | {OperatorCommands}

    def __init__(self, engine: Any, host: Any = None, config: UIConfig | None = None, root: str = "",
                 tap: BodyTap | None = None, clock=time.time, auto_refresh: bool = True) -> None:
        super().__init__()
        self.engine, self.host, self.cfg, self.root, self.clock = engine, host, config or UIConfig(), root, clock
        self.tap = tap or BodyTap(engine)
        self.vm = ViewModel(engine)
        self._inbox: list = []
        self._kinds: list[str] = []
        self._unsub = engine.subscribe(self._inbox.append)
        self.auto_refresh_view = auto_refresh
        self.log_lines: list[str] = []
        self.show_log_on_start = False
        self._unsub_intercept = lambda: None
        self.intercepts = InterceptControls(self)
        self.operator = OperatorControls(self)
        self.host_view = HostView(self)
        self.theme = self.cfg.theme
        if self.cfg.keymap:
            self.set_keymap(self.cfg.keymap)

    # ---- lifecycle ----
    def on_mount(self) -> None:
        self.push_screen(MainScreen(self.root))
        if self.cfg.error:
            self.notify(self.cfg.error, title="config.toml ignored", severity="warning")
        if self.auto_refresh_view:
            self.set_interval(1 / self.cfg.refresh_hz, self.refresh_view)
        if self.host is not None:
            self.set_interval(5, self.show_host_status)    # "N sessions live" ages out without new events
        if self.intercept is not None:
            self._unsub_intercept = self.intercept.subscribe(
                lambda kind, data: self.post_message(InterceptChanged(kind, data)))
        if self.host is not None:
            self.run_worker(self.host.run(self), name="host", exit_on_error=False)

    @property
    def main(self) -> MainScreen:
        """The main (page table) screen, installed by name or pushed first; tests reach its widgets through this."""
        return self.get_screen("main") if self.is_screen_installed("main") else self.screen_stack[1]

    def refresh_view(self, force: bool = False) -> None:
        """Drain buffered events into the view model and push it into the widgets (coalesced, capped rate)."""
        batch, self._inbox[:] = list(self._inbox), []
        follow = getattr(self.host, "follow_new_sessions", False)
        for e in batch:
            self.vm.feed(e)
            if follow and e.kind == SessionStarted.KIND and e.session:
                self.vm.selected = e.session           # the demo shows the session that is running
        changed = self.vm.take_changes()
        if not (batch or force):
            return
        main = self._main()
        if main is None or not self.is_running:     # not running: shutting down, the widgets are being removed
            return
        if batch and self.host is not None:
            self.show_host_status()
        main.update_view(self.vm, force or bool(changed))
        self.refresh_bindings_if_changed()
        self.post_message(ViewRefreshed(changed, [e.kind for e in batch], dict(self.vm.kind_counts)))

    def _main(self) -> MainScreen | None:
        for s in self.screen_stack:
            if isinstance(s, MainScreen) and s.ready:
                return s
        return None

    # ---- selection ----
    def selected_row(self):
        main = self._main()
        pid = main.query_one(PageTable).selected_id if main else None
        return self.vm.row(pid) if pid else None

    def refresh_bindings_if_changed(self) -> None:
        """The footer is recomposed on every `refresh_bindings()` (tens of ms): only do it when what `check_action`
        answers can have changed — the screen, or which operator commands apply to the selected row."""
        row = self.selected_row()
        sig = (id(self.screen), tuple(ops.applicable(self.vm, c, row)[0] for c in ops.ACTIONS), self.intercepts.sig())
        if sig != getattr(self, "_bindings_sig", None):
            self._bindings_sig = sig
            self.refresh_bindings()

    @on(PageSelected)
    def _page_selected(self) -> None:
        self.refresh_bindings_if_changed()

    @on(SessionsTable.Chosen)
    def _session_chosen(self, msg: SessionsTable.Chosen) -> None:
        if msg.session != self.vm.selected:
            self.vm.selected = msg.session
            self.refresh_view(force=True)

    @on(PageTable.SortRequested)
    def _sort_requested(self, msg: PageTable.SortRequested) -> None:
        self.vm.set_sort(msg.key)
        self.refresh_view(force=True)

    @on(OpenDetail)
    def _open_detail(self, msg: OpenDetail) -> None:
        from .screens.detail import PageDetailScreen

        self.push_screen(PageDetailScreen(msg.page))

    # ---- operator commands ----
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in MAIN_ONLY and not isinstance(self.screen, MainScreen):
            return False
        if action == "op" and parameters and parameters[0] != ops.COLLAPSE:
            ok, _ = ops.applicable(self.vm, parameters[0], self.selected_row())
            return True if ok else None
        if action in ("pause", "speed", "step"):
            return True if getattr(self.host, "controllable", False) else None
        if action == "intercept_toggle":
            return True if self.intercept is not None else None
        if action in ("intercept_release", "intercept_release_all"):
            return bool(self.intercept is not None and self.intercept.held)    # footer shows "R Release" while held
        return True

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """An operator key on a row it does not apply to is dimmed in the footer, yet still answers: a toast says
        why (Textual would otherwise drop the key silently)."""
        target, name, params = self._parse_action(action, self if default_namespace is None else default_namespace,
                                                  namespaces)
        if target is self and name == "op" and params and self.check_action(name, params) is None:
            self.action_op(*params)
            return True
        return await super().run_action(action, default_namespace, namespaces)

    def action_op(self, command: str) -> None:
        self.operator.run(command)

    def issue(self, command: str, **args: Any) -> bool:
        """Send one named command to the engine (queued until the next request); report the outcome."""
        return self.operator.issue(command, **args)

    def send_command(self, command: str, **args: Any) -> Any:
        """Where operator commands go: the engine (the replay app records them into the replay instead)."""
        return self.engine.command(command, **args)

    # ---- intercept (proxy-level: hold requests until the operator releases them; see app_intercept) ----
    @property
    def intercept(self) -> Any:
        """The proxy's Intercept, when this app runs a live proxy (None in replay and in proxy-less tests)."""
        return self.intercepts.intercept

    def action_intercept_toggle(self) -> None:
        self.intercepts.toggle()

    def action_intercept_release(self) -> None:
        self.intercepts.command("intercept.release")

    def action_intercept_release_all(self) -> None:
        self.intercepts.command("intercept.release_all")

    @on(InterceptChanged)
    def _intercept_changed(self, msg: InterceptChanged) -> None:
        self.intercepts.changed(msg.kind, msg.data)

    # ---- host (see app_host) ----
    def show_host_status(self) -> None:
        """The header's proxy URL and host line (agent state, "N sessions live" / "waiting for an agent")."""
        self.host_view.show_status()

    @on(HostStatus)
    def _host_status(self, msg: HostStatus) -> None:
        self.host_view.status(msg.text, msg.level)

    @on(UpstreamProblem)
    def _upstream_problem(self, msg: UpstreamProblem) -> None:
        self.host_view.upstream_problem(msg.info)

    @on(AgentOutput)
    def _agent_output(self, msg: AgentOutput) -> None:
        self.host_view.agent_output(msg.line)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.notify(f"{event.worker.name}: {event.worker.error!r}", title="background task failed",
                        severity="error", timeout=10)

    async def on_unmount(self) -> None:
        self._unsub()
        self._unsub_intercept()
        if self.host is not None:
            await self.host.stop()
