"""`pichay-tui analyze`: replay recordings, proxy logs and transcripts under one or more policies and print the
paging figures (core/lab/analysis), per session and, with --compare, side by side."""
from __future__ import annotations

import sys
from typing import Any

import click
import orjson

from .policy_knobs import pager_config, policy_knobs
from .replay import load_inputs
from ..core.lab.compare import COMPARE_HEADERS, DEFAULT_COMPARE, compare_rows, fmt_ratio, fmt_usd

SESSION_HEADERS = ["session", "req", "pages", "evict", "gc", "faults (maj/min)", "f.rate", "pins", "bytes before",
                   "bytes after", "−%", "tokens before", "tokens after", "token-turns kept", "pred. cache inval.",
                   "cost × bound", "spend $", "thrash"]


def session_row(s: dict[str, Any]) -> list[str]:
    """One row of the per-session table (SESSION_HEADERS) for one session of an analysis run."""
    return [s["name"], str(s["request_count"]), str(s["pages"]), str(s["evictions"]), str(s["gc"]),
            f"{s['faults']} ({s['major_faults']}/{s['minor_faults']})", f"{s['fault_rate']:.2f}",
            str(s["pins"]), f"{s['bytes_before']:,}", f"{s['bytes_after']:,}", f"{s['reduction_pct']:.1f}",
            f"{s['tokens_before']:,}", f"{s['tokens_after']:,}", f"{s['token_turns_kept']:,}",
            f"{s['predicted_invalidated_tokens']:,}", fmt_ratio(s["cost_ratio"]), fmt_usd(s["cost"].get("usd")),
            s["thrash_reason"] if s["thrash"] else ""]


def _table(console, title: str, headers: list[str], rows: list[list[str]]) -> None:
    """Print one rich table: the first column (and `thrash`) left-aligned, the figures right-aligned."""
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for i, h in enumerate(headers):
        t.add_column(h, justify="left" if i == 0 or h == "thrash" else "right", no_wrap=i == 0)
    for r in rows:
        t.add_row(*r)
    console.print(t)


def print_report(analysis, console, compare: bool) -> None:
    """The human-readable report: per input a session table (and the comparison), then the totals."""
    for i, inp in enumerate(analysis.inputs):
        console.print(f"[bold]{inp['path']}[/bold]  ({inp['format']}, {inp['frames']} requests)")
        if inp["missing"]:
            console.print("  [dim]format cannot provide: " + "; ".join(m.split(" (")[0] for m in inp["missing"])
                          + "[/dim]")
        sess = analysis.runs[analysis.policies[0]][i]["sessions"]
        _table(console, f"policy {analysis.policies[0]}", SESSION_HEADERS, [session_row(s) for s in sess])
        if compare:
            _table(console, "compare", COMPARE_HEADERS, compare_rows(analysis, i))
        console.print()
    t = analysis.totals()
    console.print(f"[bold]totals[/bold] ({analysis.policies[0]}): {t['requests']} requests, {t['evictions']} paged "
                  f"evictions + {t['gc']} GC, {t['faults']} faults (rate {t['fault_rate']:.2f}), bytes "
                  f"{t['bytes_before']:,} → {t['bytes_after']:,} (−{t['reduction_pct']:.1f} %), tokens "
                  f"{t['tokens_before']:,} → {t['tokens_after']:,} (−{t['token_reduction_pct']:.1f} %), "
                  f"cost {fmt_ratio(t['cost_ratio'])} the clairvoyant bound")
    if "usd" in t["cost"]:
        extra = ""
        if "no_pager_usd" in t:
            extra = f" (no pager {fmt_usd(t['no_pager_usd'])}, saving {fmt_usd(t['saving_usd'])})"
        if t.get("bound") and "usd" in t["bound"]:
            extra += f", cache bound {fmt_usd(t['bound']['usd'])}"
        console.print(f"spend under the cache model: {fmt_usd(t['cost']['usd'])}{extra}")
    if compare and len(analysis.inputs) > 1:
        _table(console, "compare — all inputs", COMPARE_HEADERS, compare_rows(analysis, None))


@click.command("analyze")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Emit JSON: {sessions: [...], totals: {...}}.")
@policy_knobs
@click.option("--compare", default=None, metavar="P1,P2,...",
              help=f"Run several policies side by side ('all' = {DEFAULT_COMPARE}).")
@click.option("--fault-overhead", default=200, show_default=True, type=click.IntRange(0),
              help="Round-trip cost of a fault in tokens, for the cost metric.")
@click.option("--no-bound", is_flag=True, help="Skip the clairvoyant bound (one replay pass less per input).")
@click.option("--no-fault-pinning", is_flag=True, help="Disable the engine's fault-driven pinning.")
@click.option("--prices", "prices_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON price table {model: {input, write_5m, write_1h, read, output, min_cacheable}} in USD per "
                   "million tokens, merged over the built-in one (docs/cache.md).")
def analyze_command(files, as_json, policy, age_threshold, min_size, zones, policy_arg, compare, fault_overhead,
                    no_bound, no_fault_pinning, prices_file) -> None:
    """Replay FILE... (recordings, reference-proxy logs, Claude Code transcripts) and report paging figures."""
    from rich.console import Console

    from ..core.lab.analysis import analyze, frames_to_process

    policies = [policy]
    if compare:
        names = DEFAULT_COMPARE if compare == "all" else compare
        policies = [p.strip() for p in names.split(",") if p.strip()]
    try:
        base = pager_config(policies[0], age_threshold, min_size, zones, policy_arg, not no_fault_pinning)
        for p in policies[1:]:
            pager_config(p, age_threshold, min_size, zones, policy_arg)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--policy/--compare")
    prices = None
    if prices_file:
        from ..core.lab.prices import load_prices

        try:
            prices = load_prices(prices_file)
        except (ValueError, TypeError) as e:
            raise click.BadParameter(f"{prices_file}: {e}", param_hint="--prices")
    sources = load_inputs(files)
    files = list(sources)
    console = Console(stderr=as_json)
    if not console.is_terminal:
        console = Console(stderr=as_json, width=220)
    show_progress = not as_json and console.is_terminal and sys.stdout.isatty()
    total = frames_to_process(list(sources.values()), policies, not no_bound)
    if show_progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console, transient=True) as prog:
            task = prog.add_task("frames", total=total)
            result = analyze(list(files), policies, base, bound=not no_bound, fault_overhead=fault_overhead,
                             sources=sources, progress=lambda n: prog.advance(task, n), prices=prices)
    else:
        result = analyze(list(files), policies, base, bound=not no_bound, fault_overhead=fault_overhead,
                         sources=sources, prices=prices)
    if as_json:
        sys.stdout.write(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    print_report(result, console, compare=bool(compare))


COMMANDS = [analyze_command]
