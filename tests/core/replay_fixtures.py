"""Shared inputs for the replay / policy-lab tests: the committed sample sessions and synthetic conversations."""
from __future__ import annotations

from pathlib import Path

from pichay_tui.core.recording.replayer import Frame, ReplaySource, frames_from_exchanges, load_source
from pichay_tui.core.model.exchange import Exchange, ResponseSummary
from pichay_tui.core.lab.synthetic import Conversation

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "sample_sessions"
SAMPLE_FILES = sorted(p for p in SAMPLES_DIR.iterdir() if p.name.endswith((".jsonl", ".jsonl.xz")))
LEGACY_RUNS = ["test_author_run1", "test_author_run2", "comparison_baseline_run1", "comparison_compact_trim_run1",
               "comparison_trimmed_run1"]
_cache: dict[str, ReplaySource] = {}


def source(path) -> ReplaySource:
    key = str(path)
    if key not in _cache:
        _cache[key] = load_source(path)
    return _cache[key]


def synthetic_source(seed: int = 0, turns: int = 40, files: int = 8) -> ReplaySource:
    """A Claude-Code-shaped session mixing reads (with re-reads), edits, bash output and error results."""
    import random

    rnd = random.Random(seed)
    conv = Conversation(f"syn{seed}")
    exchanges = [Exchange(conv.body(), ts=1000.0)]
    for t in range(turns):
        r = rnd.random()
        f = f"/p/src/m{rnd.randrange(files)}.py"
        if r < 0.55:
            conv.read(f, lines=rnd.choice((10, 60, 200)))
        elif r < 0.7:
            conv.edit(f)
        elif r < 0.9:
            conv.bash(f"cmd {t}", lines=rnd.choice((3, 40)))
        else:
            conv.call("Bash", {"command": f"fail {t}"}, "error: " + "x" * 900, is_error=True)
        usage = {"input_tokens": 100, "cache_read_input_tokens": 1000 * (t + 1)}
        exchanges.append(Exchange(conv.body(), ts=1000.0 + t + 1, response=ResponseSummary(usage=usage)))
    return ReplaySource(frames_from_exchanges(exchanges), "synthetic")


__all__ = ["Frame", "LEGACY_RUNS", "SAMPLE_FILES", "source", "synthetic_source"]
