"""The clairvoyant bound: exact per-page optimum, and never beaten by any online policy."""
from __future__ import annotations

import pytest

from pichay_tui.core.lab.clairvoyant import INF, PageFact, clairvoyant_from_replay, page_bound
from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.paging.policies import ONLINE_POLICIES
from pichay_tui.core.lab.analysis import run_policy

from .replay_fixtures import LEGACY_RUNS, SAMPLE_FILES, source, synthetic_source


def brute(f: PageFact, rt: int) -> int:
    end_keep = min(f.c, f.d)
    best = f.tokens * (end_keep - f.a)
    e = f.a + 1
    while e < end_keep:
        cost = f.tokens * (e - f.a) + f.handle * (f.d - e) + ((f.tokens + rt) if e < f.n < f.d else 0)
        best = min(best, cost)
        e += 1
    return int(best)


@pytest.mark.parametrize("T,H,a,n,c,d", [
    (1000, 60, 1, INF, INF, 30), (1000, 60, 1, 3, INF, 30), (1000, 60, 1, 2, INF, 30), (50, 60, 1, INF, INF, 30),
    (1000, 60, 5, 20, 12, 40), (300, 60, 1, 25, INF, 26), (2000, 60, 3, 4, INF, 5), (1000, 60, 1, 40, INF, 30),
])
def test_page_bound_matches_brute_force(T, H, a, n, c, d):
    f = PageFact("s", "p", a, T, H, "k", n=n, c=c, d=d)
    assert page_bound(f, 200)[0] == brute(f, 200)


def assert_bound_holds(src, label):
    bound, facts, keep_all = clairvoyant_from_replay(src)
    b = bound.total().total
    assert b <= keep_all.total().total
    for policy in ONLINE_POLICIES:
        for tau in (1, 4):
            rep = run_policy(src, PagerConfig(policy=policy, age_threshold=tau, min_size=0 if tau == 1 else 500),
                             bound=bound)
            for s in rep["sessions"]:
                assert s["cost"]["total"] >= s["bound"]["total"], (label, policy, tau, s["name"])


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_bound_never_beaten_on_samples(path):
    assert_bound_holds(source(path), path.name)


@pytest.mark.parametrize("seed", range(6))
def test_bound_never_beaten_on_synthetic_sessions(seed):
    assert_bound_holds(synthetic_source(seed, turns=35, files=3 + seed), f"synthetic {seed}")


@pytest.mark.captures
@pytest.mark.parametrize("run", LEGACY_RUNS)
def test_bound_never_beaten_on_captures(captures, run):
    assert_bound_holds(source(captures / "pichay-legacy" / run), run)


@pytest.mark.parametrize("policy", ["fifo", "cost_aware", "cc_microcompact"])
def test_incremental_meter_equals_full_rescan(policy):
    from pichay_tui.core.lab.clairvoyant import CostMeter
    from pichay_tui.core.recording.replayer import Replayer

    src = source(next(p for p in SAMPLE_FILES if p.name.startswith("long")))
    rp = Replayer(src, PagerConfig(policy=policy))
    meter = CostMeter(rp.engine)
    while not rp.at_end:
        r = rp.step()
        assert meter.verify(r.session_id)
