"""The policy lab: every policy is registered, respects the engine's invariants, and behaves as documented."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pichay_tui.core import events as ev
from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.model.pages import Kind, PageState
from pichay_tui.core.paging.policies import ONLINE_POLICIES
from pichay_tui.core.paging.policies import POLICIES, make_policy
from pichay_tui.core.paging.policy import PolicyContext
from pichay_tui.core.recording.replayer import Replayer
from pichay_tui.core.lab.synthetic import Conversation

from .helpers import engine
from .replay_fixtures import SAMPLE_FILES, source, synthetic_source

ALL = list(ONLINE_POLICIES) + ["none"]


def test_all_policies_registered_by_name():
    assert {"fifo", "lru", "working_set", "cost_aware", "pin_decay", "anthropic_clear", "cc_microcompact",
            "none"} <= set(POLICIES)
    for name in ALL:
        assert make_policy(name).name == name


class Checked:
    """Wraps a policy: its picks must be a subset of the candidates the engine offered."""

    def __init__(self, inner):
        self.inner, self.name = inner, inner.name
        self.offered = 0

    def select(self, ctx, candidates):
        cands = list(candidates)
        self.offered += len(cands)
        picks = self.inner.select(ctx, cands)
        ids = {p.id for p in cands}
        assert all(p.id in ids for p in picks), f"{self.name} picked a page that was not a candidate"
        return picks


def check_invariants(rp: Replayer, policy: str) -> int:
    """Replay everything; every automatic eviction must hit a resident, unpinned, non-error tool result older than
    the last user turn. Returns the number of evictions checked."""
    eng = rp.engine
    eng.policy = Checked(eng.policy)
    seen = {"n": 0}

    def on(e):
        if e.kind != ev.PAGE_EVICTED or e.data["reason"] not in ("age", "compact"):
            return
        s = eng.sessions[e.session]
        p = s.pages[e.data["page"]]
        assert p.kind is Kind.TOOL_RESULT and not p.is_error, (policy, p)
        assert p.turn < s.turn, f"{policy} evicted a page of the last user turn"
        assert p.pin_reason is None
        seen["n"] += 1

    rp.subscribe(on)
    rp.run()
    return seen["n"]


@pytest.mark.parametrize("policy", ALL)
def test_invariants_on_every_sample(policy):
    total = 0
    for path in SAMPLE_FILES:
        total += check_invariants(Replayer(source(path), PagerConfig(policy=policy)), policy)
    if policy not in ("none", "anthropic_clear"):
        assert total > 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), turns=st.integers(1, 30), files=st.integers(1, 6),
       policy=st.sampled_from(ALL), tau=st.integers(1, 6))
def test_invariants_hold_on_random_sessions(seed, turns, files, policy, tau):
    cfg = PagerConfig(policy=policy, age_threshold=tau, min_size=0,
                      policy_args={"trigger": 0, "trigger_count": 1, "budget_tokens": 100})
    check_invariants(Replayer(synthetic_source(seed, turns, files), cfg), policy)


def ctx_for(eng, sid, **kw):
    s = eng.sessions[sid]
    base = dict(current_turn=s.turn, zone=s.zone, tokens=1000, window=200_000, age_threshold=4, min_size=0,
                session=s)
    base.update(kw)
    return PolicyContext(**base)


def session_with_reads(n: int, tool: str = "Read"):
    eng, conv = engine(policy="none"), Conversation()
    for i in range(n):
        if tool == "Read":
            conv.read(f"/p/f{i}.py")
        else:
            conv.bash(f"cmd {i}")
    r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    cands = [p for p in s.resident_results.values() if p.turn < s.turn]
    return eng, r.session_id, cands


def test_anthropic_clear_waits_for_trigger_then_keeps_three_most_recent():
    eng, sid, cands = session_with_reads(8)
    pol = make_policy("anthropic_clear")
    assert pol.select(ctx_for(eng, sid, tokens=50_000), cands) == []
    picked = pol.select(ctx_for(eng, sid, tokens=120_000), cands)
    s = eng.sessions[sid]
    shown = sorted(s.resident_results.values(), key=lambda p: p.msg_index)
    assert {p.id for p in picked} == {p.id for p in shown[:-3]}
    assert pol.select(ctx_for(eng, sid, tokens=120_000, args={"exclude_tools": "Read"}), cands) == []
    assert pol.select(ctx_for(eng, sid, tokens=120_000, args={"clear_at_least": 10**9}), cands) == []


def test_microcompact_keeps_five_recent_of_its_tools_once_over_the_count():
    eng, sid, cands = session_with_reads(14, tool="Bash")
    pol = make_policy("cc_microcompact")
    picked = pol.select(ctx_for(eng, sid), cands)
    s = eng.sessions[sid]
    shown = sorted(s.resident_results.values(), key=lambda p: p.msg_index)
    assert {p.id for p in picked} == {p.id for p in shown[:-5]}
    eng2, sid2, cands2 = session_with_reads(6, tool="Bash")
    assert make_policy("cc_microcompact").select(ctx_for(eng2, sid2), cands2) == []


def test_lru_only_evicts_over_budget_least_recent_first():
    eng, sid, cands = session_with_reads(10)
    pol = make_policy("lru")
    assert pol.select(ctx_for(eng, sid, current_turn=50, args={"budget_tokens": 10**6}), cands) == []  # all fit
    shown = sorted(eng.sessions[sid].resident_results.values(), key=lambda p: p.msg_index)
    budget = sum(p.tokens for p in shown[-7:])
    picked = pol.select(ctx_for(eng, sid, args={"budget_tokens": budget}), cands)
    assert [p.address for p in picked] == ["/p/f0.py", "/p/f1.py", "/p/f2.py"]


def test_working_set_keeps_a_file_that_is_still_being_edited():
    eng, conv = engine(policy="working_set"), Conversation()
    conv.read("/p/hot.py")
    conv.read("/p/cold.py")
    for _ in range(5):
        conv.edit("/p/hot.py")
    r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    states = {p.address: p.state for p in s.pages.values() if p.kind is Kind.TOOL_RESULT and p.tool == "Read"}
    assert states["/p/hot.py"] is PageState.RESIDENT and states["/p/cold.py"] is PageState.EVICTED


def test_cost_aware_is_more_conservative_at_high_fill():
    eng, sid, cands = session_with_reads(3)
    pol = make_policy("cost_aware")
    low = pol.select(ctx_for(eng, sid, tokens=10_000), cands)
    high = pol.select(ctx_for(eng, sid, tokens=190_000, zone="involuntary"), cands)
    assert len(high) < len(low)


def test_pin_decay_releases_fault_pins_after_they_decay():
    """FIFO's fault pin is forever; pin_decay lets a faulted page go once it has been idle for two half-lives."""
    def run(policy):
        eng, conv = engine(policy=policy, policy_args={"half_life": 2}), Conversation()
        conv.read("/p/a.py")
        eng.handle_request(conv.body(), {})
        for i in range(4):
            conv.bash(f"x{i}", lines=2)
            eng.handle_request(conv.body(), {})
        conv.read("/p/a.py")                           # fault
        eng.handle_request(conv.body(), {})
        for i in range(14):
            conv.bash(f"y{i}", lines=2)
            r = eng.handle_request(conv.body(), {})
        s = eng.sessions[r.session_id]
        return [p for p in s.pages.values() if p.tool == "Read" and p.kind is Kind.TOOL_RESULT][-1]

    assert run("fifo").pin_reason is not None
    assert run("pin_decay").state is PageState.EVICTED


def test_fifo_adaptive_backs_off_when_fifo_thrashes():
    """Six files read round-robin with τ = 4 and no fault pinning: FIFO faults on every re-read; the adaptive
    policy notices the fault rate, raises τ for that session, and the faults stop."""
    from pichay_tui.core.engine.facade import Engine
    from pichay_tui.core.lab.synthetic import Conversation

    def run(policy: str):
        eng = Engine(PagerConfig(policy=policy, fault_pinning=False))
        conv = Conversation("thrash")
        for t in range(60):
            conv.read(f"/src/m{t % 6}.py")
            r = eng.handle_request(conv.body(), {})
        return eng, eng.sessions[r.session_id]

    _, fifo = run("fifo")
    eng, adaptive = run("fifo_adaptive")
    assert fifo.stats.faults >= 40 and fifo.stats.faults / fifo.stats.evictions > 0.8
    assert adaptive.stats.faults <= fifo.stats.faults // 3
    assert eng.policy.tau[adaptive.id] > 4
