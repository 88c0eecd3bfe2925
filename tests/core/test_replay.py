"""Replay: frames go through the live Engine path; stepping back and jumping give exactly the forward states."""
from __future__ import annotations

import random

import pytest

from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.recording.reader import RecordedRequest, read_recording
from pichay_tui.core.recording.replayer import Replayer, materialize
from pichay_tui.core.recording.controller import ReplayController

from .replay_fixtures import LEGACY_RUNS, SAMPLE_FILES, source, synthetic_source


def test_samples_exist():
    names = {p.name for p in SAMPLE_FILES}
    assert {"coding.jsonl", "long_thrash.jsonl.xz", "subagents.jsonl", "cooperative.jsonl"} <= names


@pytest.mark.parametrize("policy", ["fifo", "cost_aware", "pin_decay"])
@pytest.mark.parametrize("which", ["coding.jsonl", "subagents.jsonl", "cooperative.jsonl", "synthetic"])
def test_step_back_and_jump_reproduce_forward_states(which, policy):
    src = synthetic_source(3) if which == "synthetic" else source(next(p for p in SAMPLE_FILES if p.name == which))
    rp = Replayer(src, PagerConfig(policy=policy), snapshot_every=4)
    forward = [rp.engine.state()]
    while not rp.at_end:
        rp.step()
        forward.append(rp.engine.state())
    assert len(forward) == len(src.frames) + 1
    while rp.position:                       # one frame back at a time, all the way to the start
        rp.back()
        assert rp.engine.state() == forward[rp.position], f"state differs after stepping back to {rp.position}"
    rnd = random.Random(7)
    for _ in range(12):                      # random jumps, forward and back
        n = rnd.randrange(len(forward))
        rp.jump(n)
        assert rp.engine.state() == forward[n]


def test_long_sample_back_stepping_is_exact():
    src = source(next(p for p in SAMPLE_FILES if p.name.startswith("long")))
    rp = Replayer(src, PagerConfig(), snapshot_every=25)
    states = {}
    for target in (37, 90, len(src.frames)):
        rp.run(target)
        states[target] = rp.engine.state()
    for target in (90, 37, len(src.frames), 37):
        rp.jump(target)
        assert rp.engine.state() == states[target]


@pytest.mark.parametrize("name", ["coding.jsonl", "subagents.jsonl", "cooperative.jsonl", "long_thrash.jsonl.xz"])
def test_replay_of_a_recording_sends_what_the_live_proxy_sent(name):
    """The recording holds the live engine's outbound; replay (same config) must rebuild it byte for byte."""
    path = next(p for p in SAMPLE_FILES if p.name == name)
    src = source(path)
    header_cfg = src.header.get("config") or {}
    cfg = PagerConfig(policy=header_cfg.get("policy", "fifo"), age_threshold=header_cfg.get("age_threshold", 4),
                      min_size=header_cfg.get("min_size", 500))
    recorded = [s for s in read_recording(materialize(path)) if isinstance(s, RecordedRequest) and s.engine]
    assert len(recorded) == len(src.frames) > 0
    rp = Replayer(src, cfg, keep_outbound=True)
    for rec in recorded:
        r = rp.step()
        assert r.session_id == rec.session and r.request_no == rec.request_no
        assert r.outbound["messages"] == rec.outbound["messages"], f"request {rec.id} differs from live"
        live_kinds = [e.kind for e in rec.events]
        assert [e.kind for e in r.events][:len(live_kinds)] == live_kinds


def test_controller_markers_play_and_timeline():
    src = source(next(p for p in SAMPLE_FILES if p.name.startswith("long")))
    c = ReplayController(Replayer(src, PagerConfig()))
    assert c.position == 0 and c.total == len(src.frames)
    kinds = {m.kind for m in c.markers}
    assert {"evict", "fault"} <= kinds
    first_fault = next(m for m in c.markers if m.kind == "fault")
    c.next_marker(("fault",))
    assert c.position == first_fault.frame + 1
    assert any(e.kind == "page_faulted" for e in c.replayer.last.events)
    c.jump(0)
    c.set_speed(10)
    c.play()
    assert c.tick(0.55) == 5 and c.position == 5
    c.pause()
    assert c.tick(5) == 0
    line = c.timeline(60)
    assert len(line) == 60 and "F" in line and "▲" in line
    c.jump_turn(None, 10)
    assert c.replayer.last.turn >= 10


def test_reset_listener_gets_the_restored_engine():
    rp = Replayer(synthetic_source(1, turns=12), PagerConfig(), snapshot_every=3)
    seen = []
    rp.on_reset(seen.append)
    rp.run()
    rp.jump(4)
    assert seen and seen[-1] is rp.engine


@pytest.mark.captures
@pytest.mark.parametrize("run", LEGACY_RUNS)
def test_importers_on_shared_captures_replay_through_the_engine(captures, run):
    folder = captures / "pichay-legacy" / run
    for path in (folder, folder / "transcript.jsonl"):
        src = source(path)
        assert src.format in ("legacy-proxy", "cc-transcript") and src.frames
        assert src.missing                         # the format says what it cannot provide
        rp = Replayer(src, PagerConfig())
        rp.run()
        assert not any(r.side for r in rp.results.values())   # tool-less formats are replayed with side=False
        st = rp.engine.state(pages=False)
        assert sum(s["stats"]["requests"] for s in st["sessions"]) == len(src.frames)
