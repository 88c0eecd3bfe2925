"""Live spend in the view model (fed by engine events, so live and replay agree) and the turn diff's re-write cost."""
from __future__ import annotations

from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.recording.replayer import Replayer
from pichay_tui.core.lab.spend import SpendMeter
from pichay_tui.core.view.model import ViewModel

from .replay_fixtures import SAMPLE_FILES, source


def replay_vm(name: str, policy: str) -> tuple[ViewModel, Replayer]:
    rp = Replayer(source(next(p for p in SAMPLE_FILES if p.name.startswith(name))), PagerConfig(policy=policy))
    vm = ViewModel(rp.engine)
    rp.subscribe(vm.feed)
    rp.run()
    return vm, rp


def test_gauge_shows_spend_and_saving_against_no_pager():
    vm, rp = replay_vm("long", "cache_aware")
    g = vm.gauge()
    assert g.spend_usd is not None and g.spend_usd > 0 and g.spend_observed
    s = vm.spend.sessions[vm.selected]
    assert s.requests == rp.engine.sessions[vm.selected].stats.requests
    # the saving compares two predictions of the same model: with nothing evicted it is exactly zero
    vm0, _ = replay_vm("long", "none")
    assert abs(vm0.gauge().saving_usd) < 1e-9
    assert g.saving_usd > 0                        # cache_aware shrinks the long sample's prompt


def test_sweeps_have_a_rewrite_cost_in_the_turn_diff():
    vm, rp = replay_vm("long", "fifo")
    recs = vm.turns.for_session(vm.selected)
    swept = [r for r in recs if r.predicted_invalidated]
    assert swept
    costs = [vm.rewrite_cost(r.request_no) for r in swept]
    assert all(c and c[0] > 0 and c[2] > 0 for c in costs)
    assert any(c[1] for c in costs)               # old pages: the change lies beyond the lookback window
    assert vm.rewrite_cost(recs[0].request_no) is None


def test_idle_gap_makes_the_cache_cold():
    from pichay_tui.core import events as ev

    m = SpendMeter()
    def req(ts, n, tin, tout):
        m.feed(ev.Event(ev.REQUEST_PAGED, "s", 1, ts, {"request_no": n, "tokens_in": tin, "tokens_out": tout,
                                                       "model": "claude-sonnet-4-5"}))
    req(0.0, 1, 10_000, 10_000)
    warm_before = m.sessions["s"].usd_no_pager
    req(10.0, 2, 11_000, 11_000)
    warm = m.sessions["s"].usd_no_pager - warm_before
    req(1000.0, 3, 12_000, 12_000)
    cold = m.sessions["s"].usd_no_pager - warm_before - warm
    assert cold > 5 * warm
