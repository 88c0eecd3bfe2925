"""`pichay-tui samples`: regenerate sample_sessions/ by recording the simulated agent through the real proxy."""
from __future__ import annotations

import click


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


COMMANDS = [samples_command]
