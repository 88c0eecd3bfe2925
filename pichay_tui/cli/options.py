"""The click flags for the proxy options shared by `pichay-tui` (the TUI), `serve` and `demo`, so every front end
takes the same flags; the options themselves live in settings.py."""
from __future__ import annotations

import re
from typing import Any, Callable

import click

from ..settings import DEFAULT_UPSTREAM, ProxyOptions, from_flags


def _tool_classes(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    from ..core.model.tool_classes import parse_tool_classes

    try:
        return parse_tool_classes(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _check_token(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and (len(value) < 32 or not re.fullmatch(r"[A-Za-z0-9_-]+", value)):
        raise click.BadParameter("needs at least 32 URL-safe characters (A-Z a-z 0-9 _ -)")
    return value


def check_upstream(ctx: Any, param: Any, value: str) -> str:
    """Reject a malformed --upstream at startup (click exits 2 with the message) instead of failing every request."""
    from urllib.parse import urlsplit

    try:
        u = urlsplit(value)
        u.port                                   # raises ValueError for a bad port
    except ValueError as e:
        raise click.BadParameter(f"{value!r} is not a valid URL ({e})") from None
    if u.scheme not in ("http", "https") or not u.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL with a host, e.g. {DEFAULT_UPSTREAM} "
                                 "or http://127.0.0.1:9000")
    return value


def proxy_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a click command with the proxy flags; the command receives `opts: ProxyOptions`."""
    decorators = [
        click.option("--host", default=None, help="Address to bind (default 127.0.0.1; others print a warning)."),
        click.option("--port", default=8787, show_default=True, type=int, help="Port; 0 picks a free one."),
        click.option("--upstream", default=DEFAULT_UPSTREAM, show_default=True, callback=check_upstream,
                     help="Upstream API base URL."),
        click.option("--mode", type=click.Choice(["page", "observe"]), default="page", show_default=True,
                     help="page: send the paged view; observe: byte-exact transparent."),
        click.option("--record", type=click.Path(dir_okay=False), default=None, help="Write a JSONL recording."),
        click.option("--state-dir", type=click.Path(file_okay=False), default=None,
                     help="Directory for the persistent backing store."),
        click.option("--age-threshold", default=4, show_default=True, type=click.IntRange(1),
                     help="τ: evict tool results this many user turns old."),
        click.option("--min-size", default=500, show_default=True, type=click.IntRange(0),
                     help="Never evict results smaller than this many bytes."),
        click.option("--policy", default="fifo", show_default=True, help="Eviction policy."),
        click.option("--zones", type=click.Choice(["default", "paper"]), default="default", show_default=True,
                     help="Pressure-zone preset: default 100K/140K/170K, paper 60K/100K/120K."),
        click.option("--cooperative/--no-cooperative", default=True, show_default=True,
                     help="Offer the model memory_release/memory_fault and honour <memory_cleanup> tags."),
        click.option("--trim-tools/--no-trim-tools", default=False, show_default=True,
                     help="Stub unused tool definitions when the savings outweigh the cache miss."),
        click.option("--control-token", envvar="PICHAY_CONTROL_TOKEN", default=None, callback=_check_token,
                     help="Token POST /_pichay/commands requires (default: random per start; env "
                          "PICHAY_CONTROL_TOKEN). At least 32 URL-safe characters."),
        click.option("--allow-host", multiple=True, metavar="NAME[:PORT]",
                     help="Another Host name the control API answers to (default: only the bound address)."),
        click.option("--reset-state", is_flag=True, default=False,
                     help="Start with a fresh state store; the old one is moved aside (pichay.sqlite3.reset-TIME), "
                          "never deleted. The way out of an unreadable store."),
        click.option("--tool-class", "tool_classes", multiple=True, callback=_tool_classes, metavar="NAME=CLASS",
                     help="Paging class of a tool (or glob): addressable, gc or keep; repeatable. "
                          "Defaults: docs/tool-classes.md."),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def build_options(**kw: Any) -> ProxyOptions:
    """ProxyOptions from the click flags, with each flag's click ParameterSource, so `settings.resolve` knows what
    the user typed (`--age-threshold 4` still beats config.toml although 4 is the default)."""
    ctx = click.get_current_context(silent=True)
    sources = None if ctx is None else {k: getattr(ctx.get_parameter_source(k), "name", None) for k in kw}
    return from_flags(kw, sources)
