"""The `pichay-tui` command: the TUI by default, plus `serve`, `demo`, `replay`, `analyze` and friends.

Each subcommand module (SUBCOMMAND_MODULES, in cli/) lists its click commands in COMMANDS and this module adds them,
so front ends stay independent; a missing module is an ImportError, not a silently absent command.
"""
from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from .options import build_options, proxy_options
from ..core.errors import StartupError

SUBCOMMAND_MODULES = ("serve", "tui", "replay", "analyze", "samples", "screenshots", "upstream")


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@proxy_options
@click.version_option(__version__, prog_name="pichay-tui")
@click.pass_context
def cli(ctx: click.Context, **kw) -> None:
    """Demand paging for an AI agent's context window, with a live page table.

    With no subcommand, starts the TUI with the proxy in-process. `pichay-tui -- claude ...` also launches the agent.
    """
    if ctx.invoked_subcommand is not None:
        return
    from . import tui

    tui.run_tui(build_options(**kw), list((ctx.obj or {}).get("agent", [])))


def main(argv: list[str] | None = None) -> None:
    """Entry point: everything after a bare `--` is the agent command to launch beside the TUI."""
    args = list(sys.argv[1:] if argv is None else argv)
    agent: list[str] = []
    if "--" in args:
        i = args.index("--")
        args, agent = args[:i], args[i + 1:]
    try:
        cli.main(args=args, prog_name="pichay-tui", obj={"agent": agent})
    except StartupError as e:             # an unusable --state-dir or --record path: one line, no traceback
        click.echo(f"Error: {e}", err=True)
        raise SystemExit(1)
    except Exception as e:  # noqa: BLE001 - every crash: one line, the traceback in a log file, non-zero exit
        from .crash import report

        sys.exit(report(e, list(sys.argv[1:] if argv is None else argv)))


for _name in SUBCOMMAND_MODULES:
    for _cmd in importlib.import_module(f".{_name}", __package__).COMMANDS:
        cli.add_command(_cmd)
