"""`pichay-tui replay`, and the inputs of the policy lab (replay and analyze): opening a recording, proxy log or
transcript with one-line errors, and the replay controller and app over it."""
from __future__ import annotations

from pathlib import Path

import click

from .crash import run_app
from .policy_knobs import pager_config, policy_knobs

@click.command("replay")
@click.argument("file", type=click.Path(exists=True))
@policy_knobs
@click.option("--frame", default=0, type=click.IntRange(0), help="Open at this frame (API call).")
@click.option("--headless", is_flag=True, help="No TUI: print one line per frame with its events.")
def replay_command(file, policy, age_threshold, min_size, zones, policy_arg, frame, headless) -> None:
    """Replay a saved session frame by frame in the TUI (step, back, jump, play; the same screens as live)."""
    try:
        config = pager_config(policy, age_threshold, min_size, zones, policy_arg)
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


COMMANDS = [replay_command]
