"""`pichay-tui analyze`, `replay` and `samples`: the policy lab's front ends over core/recording/replayer + core/lab/analysis."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

DEFAULT_COMPARE = "fifo,lru,working_set,cost_aware,cache_aware,pin_decay,anthropic_clear,cc_microcompact,none"


def _policy_args(items: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--policy-arg")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _config(policy: str, age_threshold: int, min_size: int, zones: str, policy_arg: tuple[str, ...],
            fault_pinning: bool = True):
    from ..core.model.config import PagerConfig, Zones
    from ..core.paging.policies import make_policy

    make_policy(policy)  # validates the name (raises ValueError)
    return PagerConfig(policy=policy, age_threshold=age_threshold, min_size=min_size, zones=Zones.preset(zones),
                       policy_args=_policy_args(policy_arg), fault_pinning=fault_pinning)


def policy_knobs(f):
    for d in reversed([
        click.option("--policy", default="fifo", show_default=True, help="Eviction policy (see docs/policies.md)."),
        click.option("--age-threshold", default=4, show_default=True, type=click.IntRange(1),
                     help="τ: evict tool results this many user turns old."),
        click.option("--min-size", default=500, show_default=True, type=click.IntRange(0),
                     help="Never evict results smaller than this many bytes."),
        click.option("--zones", type=click.Choice(["default", "paper"]), default="default", show_default=True,
                     help="Pressure-zone preset."),
        click.option("--policy-arg", multiple=True, metavar="NAME=VALUE",
                     help="A policy knob, e.g. budget_tokens=20000 (lru), trigger=100000 (anthropic_clear)."),
    ]):
        f = d(f)
    return f


# ---- analyze ----
def _fmt_ratio(r: float | None) -> str:
    return f"{r:.2f}×" if r is not None else "–"


def compare_rows(analysis, index: int | None) -> list[list[str]]:
    """Rows of the comparison table for one input (index) or all inputs (None)."""
    rows = []
    for p in analysis.policies:
        runs = analysis.runs[p] if index is None else [analysis.runs[p][index]]
        from ..core.lab.analysis import totals_of

        t = totals_of([s for r in runs for s in r["sessions"]])
        rows.append([p, str(t["requests"]), str(t["evictions"]), str(t["gc"]), str(t["faults"]),
                     f"{t['fault_rate']:.2f}", f"{t['reduction_pct']:.1f}", f"{t['token_reduction_pct']:.1f}",
                     f"{t['token_turns_kept']:,}", f"{t['cost']['total']:,}", _fmt_ratio(t["cost_ratio"]),
                     _usd(t["cost"].get("usd")), f"{t.get('context_tokens_end', 0):,}", _fmt_ratio(t.get("usd_ratio")),
                     "yes" if t["thrash_sessions"] else ""])
    b = analysis.bound_total(index)
    if b is not None:
        rows.append(["clairvoyant", "", "", "", str(b["fault_events"]), "", "", "", f"{b['keep']:,}",
                     f"{b['total']:,}", "1.00×", _usd(b.get("usd")), "", "1.00×" if "usd" in b else "–", ""])
    return rows


def _usd(v: float | None) -> str:
    if v is None:
        return "–"
    return f"−${-v:,.2f}" if v < 0 else f"${v:,.2f}"


COMPARE_HEADERS = ["policy", "requests", "evict", "gc", "faults", "f.rate", "bytes −%", "tokens −%", "token-turns kept",
                   "cost", "× bound", "spend $", "ctx end", "$ × bound", "thrash"]
SESSION_HEADERS = ["session", "req", "pages", "evict", "gc", "faults (maj/min)", "f.rate", "pins", "bytes before",
                   "bytes after", "−%", "tokens before", "tokens after", "token-turns kept", "pred. cache inval.",
                   "cost × bound", "spend $", "thrash"]


def session_row(s: dict[str, Any]) -> list[str]:
    return [s["name"], str(s["request_count"]), str(s["pages"]), str(s["evictions"]), str(s["gc"]),
            f"{s['faults']} ({s['major_faults']}/{s['minor_faults']})", f"{s['fault_rate']:.2f}",
            str(s["pins"]), f"{s['bytes_before']:,}", f"{s['bytes_after']:,}", f"{s['reduction_pct']:.1f}",
            f"{s['tokens_before']:,}", f"{s['tokens_after']:,}", f"{s['token_turns_kept']:,}",
            f"{s['predicted_invalidated_tokens']:,}", _fmt_ratio(s["cost_ratio"]), _usd(s["cost"].get("usd")),
            s["thrash_reason"] if s["thrash"] else ""]


def _table(console, title: str, headers: list[str], rows: list[list[str]]) -> None:
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for i, h in enumerate(headers):
        t.add_column(h, justify="left" if i == 0 or h == "thrash" else "right", no_wrap=i == 0)
    for r in rows:
        t.add_row(*r)
    console.print(t)


def print_report(analysis, console, compare: bool) -> None:
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
                  f"cost {_fmt_ratio(t['cost_ratio'])} the clairvoyant bound")
    if "usd" in t["cost"]:
        extra = ""
        if "no_pager_usd" in t:
            extra = f" (no pager {_usd(t['no_pager_usd'])}, saving {_usd(t['saving_usd'])})"
        if t.get("bound") and "usd" in t["bound"]:
            extra += f", cache bound {_usd(t['bound']['usd'])}"
        console.print(f"spend under the cache model: {_usd(t['cost']['usd'])}{extra}")
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
        base = _config(policies[0], age_threshold, min_size, zones, policy_arg, not no_fault_pinning)
        for p in policies[1:]:
            _config(p, age_threshold, min_size, zones, policy_arg)
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


# ---- replay ----
@click.command("replay")
@click.argument("file", type=click.Path(exists=True))
@policy_knobs
@click.option("--frame", default=0, type=click.IntRange(0), help="Open at this frame (API call).")
@click.option("--headless", is_flag=True, help="No TUI: print one line per frame with its events.")
def replay_command(file, policy, age_threshold, min_size, zones, policy_arg, frame, headless) -> None:
    """Replay a saved session frame by frame in the TUI (step, back, jump, play; the same screens as live)."""
    try:
        config = _config(policy, age_threshold, min_size, zones, policy_arg)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--policy")
    source = open_source(file)
    if headless:
        controller = replay_controller(source, config, frame)
        for s in controller.frame_summaries:
            kinds: dict[str, int] = {}
            for k in s["events"]:
                kinds[k] = kinds.get(k, 0) + 1
            ev_text = " ".join(f"{k}×{n}" for k, n in kinds.items() if k not in ("page_added", "request_paged"))
            click.echo(f"#{s['index'] + 1:>4} {s['session'] or 'side':>9} req {s['request_no']:>4} turn "
                       f"{s['turn']:>4}  tokens {s['tokens_in']:>8,} → {s['tokens_out']:>8,}  {ev_text}")
        click.echo(controller.timeline(100))
        return
    from .tui import run_app                     # as the other TUIs: crash reporting, no stray typeahead

    run_app(build_replay_app(file, config, frame, source=source))


def warn(text: str) -> None:
    click.echo(f"warning: {text}", err=True)


def open_source(file: str):
    """Load a replay/analyze input or fail with a one-line error naming the file and what is wrong; a cut last line
    is a warning (the frames before it are used)."""
    from ..core.recording.importers import UnsupportedFormat
    from ..core.errors import RecordingError
    from ..core.recording.replayer import load_source

    try:
        source = load_source(file)
    except (UnsupportedFormat, RecordingError) as e:
        raise click.ClickException(str(e))
    except OSError as e:                                   # unreadable: permissions, a vanished file, an I/O error
        raise click.ClickException(f"{file}: cannot read ({e.strerror or e})")
    if not source.frames:
        why = f" ({source.warnings[0].split(' (')[0]})" if source.warnings else ""
        raise click.ClickException(f"{file}: no Messages API requests to replay{why}")
    for w in source.warnings:
        warn(w)
    return source


def load_inputs(files: tuple[str, ...]) -> dict[str, object]:
    """Every input of `analyze`. With several inputs (a shell glob over a folder), a file that is not a session of
    any known format (a README, a notes file) is skipped with a warning; a session file that is broken (truncated,
    corrupt, no requests) is always an error, and so is any input given alone."""
    from ..core.recording.importers import detect_format

    sources: dict[str, object] = {}
    for f in files:
        if len(files) > 1 and Path(f).is_file() and detect_format(f) == "unknown" \
                and not f.endswith((".xz", ".gz", ".jsonl")):
            warn(f"{f}: skipped, not a session file (not a pichay recording, proxy log or Claude Code transcript)")
            continue
        sources[f] = open_source(f)
    if not sources:
        raise click.ClickException("none of the inputs is a session file")
    return sources


def replay_controller(source, config=None, frame: int = 0):
    """A controller over `source` positioned at `frame`, keeping outbound bodies (turn diff, page detail)."""
    from ..core.model.config import PagerConfig
    from ..core.recording.replayer import Replayer
    from ..core.recording.controller import ReplayController

    controller = ReplayController(Replayer(source, config or PagerConfig(), keep_outbound=True))
    controller.jump(frame)
    return controller


def build_replay_app(file: str, config=None, frame: int = 0, source=None):
    """The replay TUI exactly as `pichay-tui replay` runs it (tests and `screenshots` use this factory too)."""
    from ..ui.replay import ReplayApp

    source = source if source is not None else open_source(file)
    return ReplayApp(replay_controller(source, config, frame), label=str(source.path or file))


# ---- samples ----
@click.command("samples")
@click.option("--out", default="sample_sessions", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the recordings.")
@click.option("--only", multiple=True, help="Regenerate only these samples (coding, long, subagents, cooperative).")
def samples_command(out, only) -> None:
    """Regenerate sample_sessions/: scripted upstream + simulated agent through the real proxy with --record."""
    from ..sim.record_samples import SAMPLES, record_all

    names = list(only) or list(SAMPLES)
    unknown = [n for n in names if n not in SAMPLES]
    if unknown:
        raise click.BadParameter(f"unknown sample(s) {', '.join(unknown)}; known: {', '.join(SAMPLES)}")
    for line in record_all(out, names):
        click.echo(line)


COMMANDS = [replay_command, analyze_command, samples_command]
