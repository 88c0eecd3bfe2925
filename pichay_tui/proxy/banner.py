"""What the proxy tells its user: the `serve` banner, the non-loopback check behind its warning, and one line per
upstream failure (for `serve`'s stderr and the TUI's toasts)."""
from __future__ import annotations

import ipaddress
import sys
from typing import Any


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address or "localhost" (binding anything else earns a warning)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe_problem(info: dict) -> str:
    """One line for an upstream failure: `upstream error 502 on /v1/messages (session s1a2b3c): ...`."""
    where = f"{info.get('path') or '?'}" + (f" (session {info['session']})" if info.get("session") else "")
    return f"upstream error {info.get('status')} on {where}: {info.get('error')}"


def print_banner(server: Any, out=sys.stdout, err=sys.stderr) -> None:
    """The `serve` contract: first stdout line `pichay-tui listening on URL`, the next `pichay-tui control token:
    TOKEN` (what POST /_pichay/commands needs), then how to use it."""
    print(f"pichay-tui listening on {server.url}", file=out, flush=True)
    print(f"pichay-tui control token: {server.control_token}", file=out, flush=True)
    print(f"point an agent at it: ANTHROPIC_BASE_URL={server.url} claude", file=out, flush=True)
    if server.warning:
        print(server.warning, file=err, flush=True)
