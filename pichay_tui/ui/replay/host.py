"""The replay controller as the app's Host: the live pause/step/speed keys drive playback."""
from __future__ import annotations

import asyncio
from typing import Any

from ...core.recording.controller import ReplayController
from ..messages import HostStatus


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
        app.post_message(HostStatus(self.status_line(), "status"))
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
            self.app.post_message(HostStatus(self.status_line(), "status"))
