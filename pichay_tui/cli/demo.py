"""The demo's simulated world, wired into ui.host.DemoHost: the sample project, the scripted upstream and the
simulated agent come from sim/, so the UI never imports the simulator (sim is used only by cli/ and tests)."""
from __future__ import annotations

from typing import Any


def demo_host(server: Any, workdir: str, scripts: tuple[str, ...], pace: float):
    """A DemoHost for `pichay-tui demo` (and the tests and screenshots that build the demo app)."""
    from ..sim.agent import SimulatedAgent
    from ..sim.sample_project import create_sample_project
    from ..sim.upstream import create_upstream_app, run_upstream
    from ..ui.host import DemoHost

    return DemoHost(server, workdir, scripts=scripts, pace=pace,
                    make_project=lambda root: create_sample_project(root, "long"),
                    start_upstream=lambda root: run_upstream(create_upstream_app(workdir=root)),
                    make_agent=lambda url, root, script, on_exchange: SimulatedAgent(
                        url, root, script=script, on_exchange=on_exchange))
