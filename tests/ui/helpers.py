"""Deterministic app factories for UI tests: a fixed clock, Conversation-built traffic, no sockets."""
from __future__ import annotations

import time

from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.model.exchange import ResponseSummary
from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.ui.app import PichayApp
from pichay_tui.ui.config import UIConfig

CLOCK = 1_700_000_000.0


def scripted_app(turns: int = 10) -> tuple[PichayApp, Engine]:
    """An app over an engine fed a fixed conversation: evictions (τ=3), a fault, an operator pin applied."""
    t = [CLOCK]
    eng = Engine(PagerConfig(age_threshold=3), clock=lambda: t[0])
    app = PichayApp(eng, config=UIConfig(), root="/work/project", clock=lambda: t[0], auto_refresh=False)
    conv = Conversation("snap", prompt="Refactor the inventory pricing module and keep the tests green.")

    def send() -> None:
        t[0] += 7.0
        r = eng.handle_request(conv.body(), {"user-agent": "claude-cli/2.0 (external, cli)"})
        eng.handle_response(r.session_id, ResponseSummary(status=200, usage={
            "input_tokens": 40, "cache_read_input_tokens": 9_000 + 900 * r.request_no,
            "cache_creation_input_tokens": 1_200}))

    send()
    files = ["src/models.py", "src/pricing.py", "src/storage.py", "README.md", "src/report.py", "tests/test_pricing.py"]
    for i, f in enumerate(files):
        conv.read(f"/work/project/{f}", lines=40 + 25 * i)
        send()
    conv.bash("python -m pytest -q tests/")
    send()
    eng.command("page.pin", page=_result_page(eng, "/work/project/src/report.py"))
    conv.read("/work/project/src/models.py", lines=40)      # fault: evicted three turns ago
    send()
    conv.bash("git diff --stat", lines=12)
    send()
    eng.command("page.restore", page=_result_page(eng, "/work/project/src/pricing.py"))   # stays pending
    return app, eng


def _result_page(eng: Engine, path: str) -> str:
    s = next(iter(eng.sessions.values()))
    return next(p.id for p in s.pages.values() if p.kind.value == "tool_result" and p.address == path)


async def wait_until(pilot, cond, timeout: float = 30.0, app=None) -> None:
    end = time.monotonic() + timeout
    while True:
        if app is not None:
            app.refresh_view()
        if cond():
            return
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.02)
