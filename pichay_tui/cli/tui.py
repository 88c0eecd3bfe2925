"""`pichay-tui` (the TUI with the proxy in-process), `pichay-tui demo` and `pichay-tui screenshots`."""
from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

import click

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
    from ..ui.host import DemoHost, ProxyHost

    cfg = cfg or _configured(opts)
    server = ProxyServer(opts)
    if demo_dir is not None:
        host = DemoHost(server, demo_dir, scripts=scripts, pace=pace)
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


def _drop_typeahead() -> None:
    """Discard keys typed but not read by the app (during startup, or while it shut down): otherwise the shell runs
    them after we exit."""
    try:
        import termios

        if sys.stdin.isatty():
            termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
    except (ImportError, OSError, ValueError):
        pass


def run_app(app) -> None:
    """Run a TUI app as the CLI does (crash.run_app: a crash or a return code is the exit status), with no stray
    input before or after it."""
    from .crash import run_app as run_reporting_crashes

    _drop_typeahead()
    try:
        run_reporting_crashes(app)
    finally:
        _drop_typeahead()


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


@click.command("screenshots")
@click.option("--out", type=click.Path(file_okay=False), default="screenshots", show_default=True)
@click.option("--size", default="160x48", show_default=True, help="Terminal size COLSxROWS.")
def screenshots_command(out: str, size: str) -> None:
    """Run the demo and a replay headless; write SVGs of the main screen, page detail, turn diff, help, replay and
    the replay's policy comparison into --out."""
    from .screenshots import generate

    cols, rows = (int(x) for x in size.lower().split("x"))
    for path in asyncio.run(generate(Path(out), (cols, rows))):
        click.echo(path)


COMMANDS = [demo_command, screenshots_command]
