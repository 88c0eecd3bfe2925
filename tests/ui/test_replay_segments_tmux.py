"""`pichay-tui replay` (installed, in tmux) on a recording of two segments, as a `--record` restart leaves it: every
frame of both segments is there, End reaches the last, `q` exits 0."""
from __future__ import annotations

import os
from pathlib import Path

from tmux_session import pichay, tmux, wait_file  # noqa: F401 - tmux is a fixture

from pichay_tui.core import recording as rec

SAMPLE = Path(__file__).resolve().parents[2] / "sample_sessions" / "coding.jsonl"


async def test_replay_steps_through_every_segment(tmux, tmp_path):
    two = tmp_path / "two-runs.jsonl"
    two.write_bytes(SAMPLE.read_bytes() * 2)                 # header + run, header + run
    assert len(rec.read_segments(two)) == 2
    n = 2 * sum(1 for s in rec.read_recording(SAMPLE) if isinstance(s, rec.RecordedRequest) and s.engine)
    done = tmp_path / "exit-code"
    tmux.start(f"{pichay()} replay {two}; echo $? > {done}; sleep 30",
               env={"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "PATH": os.environ.get("PATH", "")})
    await tmux.wait_for(rf"frame 0/{n}\b")
    tmux.keys("End")
    await tmux.wait_for(rf"frame {n}/{n}\b")
    tmux.keys("q")
    assert await wait_file(done) == "0"
