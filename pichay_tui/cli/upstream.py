"""`pichay-tui upstream`: the scripted model (a fake Anthropic Messages API) standalone, so a real agent can be
watched getting paged with no API key: agent → pichay-tui → this."""
from __future__ import annotations

import asyncio
import signal
import tempfile
from pathlib import Path

import click

MARKER = ".pichay-sample-project"                   # written into a workdir we filled, so a restart may reuse it


def _workdir(path: str | None, script: str) -> Path:
    """The sample project the scripted model's tool calls refer to: a new temp folder, or --workdir when it is new,
    empty or one we filled before (never overwrite someone's files)."""
    from ..sim.sample_project import create_sample_project

    if path is None:
        root = Path(tempfile.mkdtemp(prefix="pichay-upstream-"))
    else:
        root = Path(path).resolve()
        if root.exists() and (not root.is_dir() or (any(root.iterdir()) and not (root / MARKER).exists())):
            raise click.BadParameter(f"{root} is not empty; pass a new or empty folder (the sample project is "
                                     "written into it)", param_hint="--workdir")
    root = create_sample_project(root, "long" if script == "long" else "coding")
    (root / MARKER).write_text(f"sample project written by pichay-tui upstream (script {script})\n")
    return root


def recipe(url: str, workdir: Path, script: str) -> str:
    """How to point pichay-tui and an agent at the scripted model (printed after the listening line)."""
    return f"""scripted model: script {script!r}, sample project {workdir}

Watch a real agent get paged, no API key needed (in another terminal):
  1. the TUI with its proxy in front of this model, launching Claude Code in the sample project:
       cd {workdir}
       ANTHROPIC_API_KEY=dummy CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \\
         pichay-tui --upstream {url} -- claude -p "Review the inventory project and change the report marker" \\
           --allowedTools Read,Bash,Edit,Grep,Glob --permission-mode acceptEdits
  2. or headless:   pichay-tui serve --upstream {url}
     then any agent: ANTHROPIC_BASE_URL=http://127.0.0.1:8787 ANTHROPIC_API_KEY=dummy claude -p "..." (in {workdir})

Ctrl-C stops the model."""


async def _serve(host: str, port: int, script: str, workdir: Path, latency: float) -> None:
    from ..sim.upstream import create_upstream_app, run_upstream

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    app = create_upstream_app(script=script, workdir=workdir, latency=latency)
    try:
        async with run_upstream(app, host=host, port=port, log_level="warning") as url:
            click.echo(f"pichay-tui upstream listening on {url}")
            click.echo(recipe(url, workdir, script))
            await stop.wait()
        n = len(app.state.sim.requests)
        click.echo(f"stopped after {n} request{'s' if n != 1 else ''}", err=True)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


@click.command("upstream")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8788, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option("--script", default="coding", show_default=True,
              help="What the model does when the prompt names no script (coding, long, subagents, cooperative).")
@click.option("--workdir", type=click.Path(file_okay=False), default=None,
              help="Folder for the sample project the model works on (default: a new temporary folder).")
@click.option("--latency", default=0.0, show_default=True, type=click.FloatRange(0),
              help="Seconds the model 'thinks' before each reply (time to act in the TUI between requests).")
def upstream_command(host: str, port: int, script: str, workdir: str | None, latency: float) -> None:
    """Run the scripted model standalone (no API key, no network) and print how to point pichay-tui and an agent
    at it."""
    from ..sim.script import SCRIPT_NAMES

    if script not in SCRIPT_NAMES:
        raise click.BadParameter(f"unknown script {script!r}; known: {', '.join(SCRIPT_NAMES)}", param_hint="--script")
    root = _workdir(workdir, script)
    try:
        asyncio.run(_serve(host, port, script, root, latency))
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}")


COMMANDS = [upstream_command]
