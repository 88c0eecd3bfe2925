"""`pichay-tui` (the TUI with the proxy in-process) and `pichay-tui demo`, built by one app factory."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import click

from .crash import run_app
from .options import ProxyOptions, build_options, proxy_options


def _configured(opts: ProxyOptions):
    """Load config.toml; its [policy] fills the options the user did not choose (settings.resolve)."""
    from ..settings import resolve
    from ..ui.config import UIConfig

    cfg = UIConfig.load()
    resolve(opts, cfg.policy)
    return cfg


def build_app(opts: ProxyOptions, agent_cmd: list[str] | None = None, demo_dir: str | None = None,
              pace: float = 2.0, scripts: tuple[str, ...] = ("coding", "long"), cfg=None):
    """The app exactly as the CLI runs it (tests and the screenshot command use this factory too)."""
    from ..proxy.server import ProxyServer
    from ..ui.app import PichayApp
    from ..ui.host import ProxyHost

    cfg = cfg or _configured(opts)
    server = ProxyServer(opts)
    if demo_dir is not None:
        from .demo import demo_host

        host = demo_host(server, demo_dir, scripts, pace)
        root = demo_dir
    else:
        log = None
        if agent_cmd:
            log_dir = opts.state_dir or tempfile.gettempdir()
            log = os.path.join(log_dir, f"pichay-agent-{os.getpid()}.log")
        host = ProxyHost(server, agent_cmd, log)
        root = os.getcwd()
    app = PichayApp(server.engine, host=host, config=cfg, root=root)
    if agent_cmd or demo_dir is not None:
        app.show_log_on_start = True
    return app


def run_tui(opts: ProxyOptions, agent_cmd: list[str]) -> None:
    """Called by `pichay-tui [proxy options] [-- agent args]`."""
    run_app(build_app(opts, agent_cmd))


@click.command("demo")
@proxy_options
@click.option("--pace", default=2.0, show_default=True, type=float, help="Seconds between simulated agent turns.")
@click.option("--script", "scripts", multiple=True, default=("coding", "long"), show_default=True,
              help="Simulator scripts to run in order.")
@click.option("--workdir", type=click.Path(file_okay=False), default=None,
              help="Scratch folder for the sample project (default: a new temporary folder).")
def demo_command(pace: float, scripts: tuple[str, ...], workdir: str | None, **kw) -> None:
    """No API key, no network: proxy + scripted upstream + a simulated agent, live in the TUI."""
    opts = build_options(**kw)
    if not opts.chosen("port"):
        opts.port = 0           # the demo never fights a real proxy for the port (unless --port asks for one)
    scratch = workdir is None                  # a folder we made is ours to remove; a --workdir is the user's
    workdir = workdir or tempfile.mkdtemp(prefix="pichay-demo-")
    try:
        run_app(build_app(opts, demo_dir=str(Path(workdir).resolve()), pace=pace, scripts=scripts))
    finally:
        if scratch:
            shutil.rmtree(workdir, ignore_errors=True)


COMMANDS = [demo_command]
