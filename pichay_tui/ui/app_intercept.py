"""Intercept mode in the app: the proxy's hold queue as commands, the header label and toasts.

A helper the app holds (`app.intercepts`), not a mixin: the app's actions and message handler delegate here.
"""
from __future__ import annotations

from typing import Any

from ..core.errors import CommandError
from ..proxy.intercept_events import RequestDropped, RequestHeld, RequestReleased
from .widgets.header import intercept_label


class InterceptControls:
    """Runs intercept.* commands for the app and keeps its header and footer in step with the hold queue."""

    def __init__(self, app: Any) -> None:
        self.app = app

    @property
    def intercept(self) -> Any:
        """The proxy's Intercept, when the app runs a live proxy (None in replay and in proxy-less tests)."""
        return getattr(getattr(self.app.host, "server", None), "intercept", None)

    def sig(self) -> tuple:
        """What the footer depends on: whether intercept is on and how many requests are held."""
        i = self.intercept
        return (i.enabled, len(i.held)) if i is not None else ()

    def command(self, command: str, **args: Any) -> dict | None:
        """Run one intercept.* command; a refusal is a warning toast, and the result None."""
        app = self.app
        if self.intercept is None:
            app.notify("intercept needs the live proxy", title=command, severity="warning")
            return None
        try:
            result = self.intercept.command(command, **args)
        except CommandError as e:
            app.notify(str(e), title=command, severity="warning")
            return None
        self.show()
        return result

    def toggle(self) -> None:
        r = self.command("intercept.toggle")
        if r is not None:
            on, n = r["result"]["enabled"], len(r["result"]["released"])
            self.app.notify("holding each request until you release it (R)" if on else
                            f"off{f' — released {n}' if n else ''}", title="intercept", timeout=3)

    def show(self) -> None:
        main = self.app._main()
        if main is not None and self.intercept is not None:
            main.set_intercept(intercept_label(self.intercept.snapshot()))
        self.app.refresh_bindings_if_changed()

    def changed(self, kind: str, data: dict) -> None:
        """The hold queue changed (a proxy event): update the header, toast what the operator must know."""
        self.show()
        notify = self.app.notify
        if kind == RequestHeld.KIND:
            notify(f"{data.get('id')} from {data.get('session')} held — queue commands, then R releases it",
                   title="intercept", timeout=4)
        elif kind == RequestDropped.KIND:
            notify(f"{data.get('id')}: the client went away while held", title="intercept", severity="warning",
                   timeout=4)
        elif kind == RequestReleased.KIND and data.get("reason") == "timeout":
            notify(f"{data.get('id')} released by the safety timeout", title="intercept", severity="warning",
                   timeout=4)
