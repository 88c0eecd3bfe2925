"""`pichay-tui replay FILE` as a user runs it: the installed command in a pseudo-terminal, real keystrokes, the screen
read back through a VT emulator, and the exit status checked — for every kind of input `analyze` accepts."""
from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from pty_term import Term, pichay_tui

pytestmark = pytest.mark.pty

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_sessions"


def frame_of(text: str) -> tuple[int, int]:
    m = re.search(r"frame (\d+)/(\d+)", text)
    assert m, f"no frame counter on the screen:\n{text}"
    return int(m.group(1)), int(m.group(2))


def at_frame(t: Term, n: int, timeout: float = 30.0) -> str:
    """Wait until the status shows frame n and the screen stopped changing; return it."""
    t.wait_for(rf"frame {n}/\d+ · paused", timeout)
    return t.settle()


def step_story(t: Term, total: int) -> None:
    """8 frames forward, 3 back, 3 forward again: the same screen, row for row."""
    forward = min(8, total)
    back = min(3, forward)
    for _ in range(forward):
        t.press("right", pause=0.1)
    before = at_frame(t, forward)
    assert "Pages · " in before and re.search(r"[●○◐]", before), f"no page rows at frame {forward}:\n{before}"
    for _ in range(back):
        t.press("left", pause=0.1)
    at_frame(t, forward - back)
    for _ in range(back):
        t.press("right", pause=0.1)
    again = at_frame(t, forward)
    assert again.splitlines() == before.splitlines()


def open_replay(tmp_path: Path, file: str | Path, *extra: str) -> tuple[Term, int]:
    t = Term([pichay_tui(), "replay", str(file), *extra], tmp_path, cwd=str(REPO))
    t.wait_for(r"frame 0/\d+ · paused.*e evict.*\n.*Help", timeout=60)     # the timeline and footer drawn
    first = t.settle()
    _, total = frame_of(first)
    assert total > 0 and "▲" in first and "e evict" in first, first
    return t, total


def quit_ok(t: Term) -> None:
    t.press("q")
    assert t.wait_exit() == 0, t.text()


def test_replay_full_story_on_the_coding_sample(tmp_path):
    t, total = open_replay(tmp_path, "sample_sessions/coding.jsonl")
    try:
        assert total == 13
        step_story(t, total)
        # ] / [ : next and previous marker (eviction, fault, zone change)
        t.press("]")
        nxt = frame_of(t.wait_for(lambda s: frame_of(s)[0] != 8))[0]
        assert nxt > 8
        t.press("[")
        prev = frame_of(t.wait_for(lambda s: frame_of(s)[0] != nxt))[0]
        assert prev < nxt
        # End / Home
        t.press("end")
        at_frame(t, total)
        t.press("home")
        home = at_frame(t, 0)
        assert "frame 0: no request applied yet" in home and "Pages · — · 0/0" in home
        t.press("d")                                     # the turn diff before any request
        t.wait_for(r"no requests yet")
        t.press("escape")
        t.wait_for(r"frame 0/13")
        # page detail on a frame reached by going back (the engine was restored from a snapshot)
        for _ in range(7):
            t.press("right", pause=0.1)
        at_frame(t, 7)
        for _ in range(2):
            t.press("left", pause=0.1)
        at_frame(t, 5)
        t.press("enter")
        t.wait_for(r"Page p[0-9a-f]{8}.*\n(.*\n)*.*Original content")
        t.press("escape")
        t.press("home")
        at_frame(t, 0)
        # play, then pause: frames advance by themselves
        t.press("space")
        t.wait_for(r"frame [1-9]\d*/13 · playing")
        t.press("space")
        playing_stopped = t.wait_for(r"· paused")
        assert frame_of(playing_stopped)[0] >= 1
        # page detail and turn diff on a frame with pages
        t.press("end")
        at_frame(t, total)
        t.press("enter")
        detail = t.wait_for(r"Original content")
        assert "What the model sees now" in detail and "History" in detail
        t.press("escape")
        t.wait_for(r"frame 13/13")
        t.press("d")
        diff = t.wait_for(r"Client request → upstream")
        assert re.search(r"Requests · s[0-9a-f]+", diff)
        t.press("escape")
        t.wait_for(r"frame 13/13")
        # the policy comparison (computed in a worker), then back
        t.press("P")
        t.wait_for(r"(?m)^\W*clairvoyant\s+\d", timeout=120)
        compare = t.settle()
        assert "Policy comparison · coding.jsonl" in compare
        for policy in ("fifo", "lru", "cost_aware", "none"):
            assert re.search(rf"^\W*{policy}\b", compare, re.M), policy
        t.press("escape")
        t.wait_for(r"frame 13/13")
        quit_ok(t)
    finally:
        t.kill()


def _version(src: Path, dst: Path, version: int) -> Path:
    """The coding sample written as format `version` (1: every body whole; 0: pre-release header and fields)."""
    from pichay_tui.core import recording as rec

    out, bases = [], {}
    for r in rec.iter_records(src):
        r = dict(r)
        if r.get("type") == "header":
            r.pop("migrated_from", None)
            if version == 0:
                r.pop("format_version", None)
                r["version"] = 0
            else:
                r["format_version"] = version
        elif r.get("type") == "request":
            body = rec.resolve_body(r, bases)
            outbound = rec.resolve_outbound(r, body, bases)
            r.pop("body_delta", None)
            r["body"] = body
            r["outbound"] = rec.outbound_diff(body, outbound)
            if version == 0:
                r.pop("sent", None)
                r.pop("engine", None)
        out.append(orjson.dumps(r, option=orjson.OPT_NON_STR_KEYS))
    dst.write_bytes(b"\n".join(out) + b"\n")
    return dst


def _inputs():
    items = [pytest.param(SAMPLES / name, id=name) for name in
             ("long_thrash.jsonl.xz", "subagents.jsonl", "cooperative.jsonl")]
    items += [pytest.param(("version", 0), id="format-0-recording"),
              pytest.param(("version", 1), id="format-1-recording")]
    items += [pytest.param(("capture", "pichay-legacy/test_author_run1/proxy.jsonl"), id="legacy-proxy-log"),
              pytest.param(("capture", "pichay-legacy/comparison_trimmed_run1"), id="legacy-run-folder"),
              pytest.param(("capture", "pichay-legacy/test_author_run2/transcript.jsonl"), id="cc-transcript")]
    return items


@pytest.mark.parametrize("source", _inputs())
def test_replay_steps_every_input_kind(tmp_path, request, source):
    if isinstance(source, tuple) and source[0] == "version":
        source = _version(SAMPLES / "coding.jsonl", tmp_path / f"v{source[1]}.jsonl", source[1])
    elif isinstance(source, tuple):
        source = request.getfixturevalue("captures") / source[1]
    t, total = open_replay(tmp_path, source)
    try:
        step_story(t, total)
        t.press("end")
        last = at_frame(t, total)
        assert "Pages · " in last
        t.press("enter")
        t.wait_for(r"Original content|What the model sees now")
        t.press("escape")
        t.press("d")
        t.wait_for(r"Client request → upstream")
        t.press("escape")
        t.wait_for(rf"frame {total}/{total}")
        quit_ok(t)
    finally:
        t.kill()
