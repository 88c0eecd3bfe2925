"""Replay mode: the live app and screens, driven by a core ReplayController instead of a proxy.

The controller is wrapped as a `Host` (the app's existing infrastructure slot), so the live key bindings for
pause/step/speed drive playback; a timeline bar marks evictions (e), faults (F) and zone changes (z). Jumping back
restores an engine snapshot: the view model is pointed at the restored engine and rebuilt.

Keys: space play/pause · n or → one frame · ← one frame back · ] / [ next / previous marker · home / end · + / − speed.
"""
from __future__ import annotations

import asyncio
from typing import Any

from textual.binding import Binding
from textual.widgets import Static

from ..core.replay import ReplayController
from .app import PichayApp
from .messages import HostStatus
from .screens.main import MainScreen

REPLAY_BINDINGS = [
    Binding("right", "replay_step", "Step", id="replay.step", tooltip="apply the next frame (API call)"),
    Binding("left", "replay_back", "Back", id="replay.back", tooltip="go back one frame (exact: snapshot + recompute)"),
    Binding("right_square_bracket", "replay_marker(1)", "Next mark", id="replay.next-marker", key_display="]",
            tooltip="jump past the next eviction, fault or zone change"),
    Binding("left_square_bracket", "replay_marker(-1)", "Prev mark", id="replay.prev-marker", key_display="[",
            tooltip="jump back to the previous eviction, fault or zone change"),
    Binding("home", "replay_jump(0)", "Start", show=False, id="replay.start"),
    Binding("end", "replay_jump(-1)", "End", show=False, id="replay.end"),
]


class ReplayHost:
    """Adapts a ReplayController to the app's Host interface (run/stop/url/status_line + demo controls)."""

    controllable = True
    url = ""

    def __init__(self, controller: ReplayController, label: str = "") -> None:
        self.c, self.label = controller, label
        self._stop = False
        self.app: Any = None

    async def run(self, app: Any) -> None:
        self.app = app
        app.post_message(HostStatus("status", self.status_line()))
        period = 0.05
        while not self._stop:
            await asyncio.sleep(period)
            if self.c.tick(period):
                app.moved()

    async def stop(self) -> None:
        self._stop = True

    def status_line(self) -> str:
        state = "playing" if self.c.playing else "paused"
        return f"replay {self.label} · frame {self.c.position}/{self.c.total} · {state} {self.c.speed:g} fps"

    def toggle_pause(self) -> None:
        self.c.toggle()
        self._status()

    def step_once(self) -> None:
        self.c.pause()
        self.c.step()
        self.app.moved()

    def set_speed(self, factor: float) -> None:
        self.c.faster() if factor > 1 else self.c.slower()
        self._status()

    def _status(self) -> None:
        if self.app is not None:
            self.app.post_message(HostStatus("status", self.status_line()))


class ReplayScreen(MainScreen):
    """The live screen plus a timeline bar."""

    def compose(self):
        yield from super().compose()
        bar = Static("", id="replay-timeline")
        bar.styles.dock = "bottom"
        bar.styles.height = 2
        yield bar

    def show_timeline(self, controller: ReplayController, status: str) -> None:
        bar = self.query_one("#replay-timeline", Static)
        width = max(10, (self.size.width or 80) - 2)
        bar.update(controller.timeline(width) + "\n" + status)


class ReplayApp(PichayApp):
    BINDINGS = PichayApp.BINDINGS + REPLAY_BINDINGS
    TITLE = "pichay-tui · replay"

    def __init__(self, controller: ReplayController, label: str = "", **kw: Any) -> None:
        self.controller = controller
        super().__init__(controller.engine, host=ReplayHost(controller, label), **kw)
        self._unsub()                                   # events come through the replayer (it survives jumps)
        controller.replayer.subscribe(self._inbox.append)
        controller.replayer.on_reset(self._engine_replaced)

    def on_mount(self, event: Any) -> None:
        event.prevent_default()                         # replaces PichayApp.on_mount (live screen + proxy host)
        self.push_screen(ReplayScreen(self.root))
        if self.auto_refresh_view:
            self.set_interval(1 / self.cfg.refresh_hz, self.refresh_view)
        self.run_worker(self.host.run(self), name="host", exit_on_error=False)

    def _engine_replaced(self, engine: Any) -> None:
        """A jump back restored a snapshot: point the view model at it and drop its per-page caches."""
        self.engine = engine
        self.vm.reset(engine)
        self._inbox.clear()

    def moved(self) -> None:
        self.refresh_view(force=True)
        for s in self.screen_stack:
            if isinstance(s, ReplayScreen) and s.ready:
                s.show_timeline(self.controller, self.host.status_line())
                s.set_url("", self.host.status_line(), self.engine.config.mode)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action.startswith("replay_"):
            return True
        return super().check_action(action, parameters)

    def action_replay_step(self) -> None:
        self.controller.pause()
        self.controller.step()
        self.moved()

    def action_replay_back(self) -> None:
        self.controller.pause()
        self.controller.back()
        self.moved()

    def action_replay_jump(self, index: int) -> None:
        self.controller.pause()
        self.controller.jump(self.controller.total if index < 0 else index)
        self.moved()

    def action_replay_marker(self, direction: int) -> None:
        self.controller.pause()
        (self.controller.next_marker() if direction > 0 else self.controller.prev_marker())
        self.moved()


def run_replay(controller: ReplayController, source: Any, config: Any) -> None:
    ReplayApp(controller, label=str(getattr(source, "path", ""))).run()
