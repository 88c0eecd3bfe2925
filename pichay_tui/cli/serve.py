"""`pichay-tui serve`: the proxy headless, until SIGINT/SIGTERM."""
from __future__ import annotations

import asyncio
import signal
import sys

import click

from .options import ProxyOptions, build_options, proxy_options
from ..core.errors import StartupError


async def serve(opts: ProxyOptions) -> None:
    from ..proxy.banner import describe_problem, print_banner
    from ..proxy.server import ProxyServer

    server = ProxyServer(opts)
    server.problem_listeners.append(lambda info: print(describe_problem(info), file=sys.stderr, flush=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    print_banner(server)
    if server.reset_moved:
        print(f"--reset-state: the previous store is kept as {server.reset_moved}", file=sys.stderr, flush=True)
    if opts.state_dir:
        n = len(server.engine.sessions)
        print(f"state dir {opts.state_dir}: SQLite backing store"
              + (f", resumed {n} session(s)" if n else ""), file=sys.stderr, flush=True)
    if opts.record:
        print(f"recording to {opts.record}", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


@click.command("serve")
@proxy_options
def serve_command(**kw) -> None:
    """Run the paging proxy headless; point an agent at it with ANTHROPIC_BASE_URL."""
    from ..proxy.server import BindError

    opts = build_options(**kw)
    try:
        asyncio.run(serve(opts))
    except (StartupError, BindError) as e:
        raise click.ClickException(str(e))
    except OSError as e:
        raise click.ClickException(f"cannot listen on {opts.host}:{opts.port}: {e}")


COMMANDS = [serve_command]
