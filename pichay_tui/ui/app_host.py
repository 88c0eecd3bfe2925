"""The host's state in the app: the header's URL and status line, host messages, upstream failures, agent output.

A helper the app holds (`app.host_view`), not a mixin: the app's message handlers delegate here.
"""
from __future__ import annotations

import time
from typing import Any

from .widgets.header import policy_label


class HostView:
    """Shows what the host (proxy, agent, demo, replay) reports."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._last_problem: tuple[str, float] = ("", 0.0)

    def show_status(self) -> None:
        """The header's proxy URL and host line (agent state, "N sessions live" / "waiting for an agent")."""
        app = self.app
        main = app._main()
        if main is not None and app.host is not None:
            if hasattr(app.host, "live"):
                app.host.live = len(app.vm.live(app.clock()))
            main.set_url(app.host.url or "", app.host.status_line(), app.engine.config.mode,
                         policy_label(app.engine.config),
                         getattr(getattr(app.host, "server", None), "control_token", ""))

    def status(self, text: str, level: str) -> None:
        """A host message: the header always, a toast unless it is a plain status update."""
        self.show_status()
        if level != "status":
            self.app.notify(text, severity=level, timeout=8 if level == "error" else 5)

    def upstream_problem(self, info: dict) -> None:
        """A toast per upstream failure, the same text at most every few seconds (a dead upstream fails every
        retry); the sessions pane keeps the state."""
        from ..proxy.banner import describe_problem

        text, now = describe_problem(info), time.monotonic()
        if self._last_problem[0] == text and now - self._last_problem[1] < 5:
            return
        self._last_problem = (text, now)
        self.app.notify(text, title="upstream failed", severity="error", timeout=8)

    def agent_output(self, line: str) -> None:
        self.app.log_lines.append(line)
        main = self.app._main()
        if main is not None:
            main.log_line(line)
