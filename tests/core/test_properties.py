"""Hypothesis: random agent behaviour and operator commands never break the core's invariants."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pichay_tui.core.errors import CommandError
from pichay_tui.core.model.pages import PageState
from pichay_tui.core.model.validate import validate_request

from .helpers import UNCHANGED_PREFIXES, Conversation, engine

FILES = [f"/p/f{i}.py" for i in range(6)]
action = st.one_of(
    st.tuples(st.just("read"), st.sampled_from(FILES), st.integers(5, 150)),
    st.tuples(st.just("edit"), st.sampled_from(FILES), st.just(0)),
    st.tuples(st.just("bash"), st.sampled_from(["ls", "make", "pytest"]), st.integers(1, 80)),
    st.tuples(st.just("error"), st.sampled_from(FILES), st.just(0)),
    st.tuples(st.just("unchanged"), st.sampled_from(FILES), st.just(0)),
    st.tuples(st.just("clear"), st.integers(0, 40), st.just(0)),
    st.tuples(st.sampled_from(["page.evict", "page.pin", "page.unpin", "page.restore", "session.compact"]),
              st.integers(0, 60), st.just(0)),
    st.tuples(st.sampled_from(["memory_fault", "memory_release"]), st.integers(0, 60), st.just(0)),
    st.tuples(st.just("collapse"), st.integers(1, 12), st.integers(0, 4)),
)


def apply(conv: Conversation, eng, act) -> None:
    kind, arg, n = act
    if kind == "read":
        conv.read(arg, lines=n)
    elif kind == "edit":
        conv.edit(arg)
    elif kind == "bash":
        conv.bash(arg, lines=n)
    elif kind == "error":
        conv.call("Read", {"file_path": arg}, "E" * 900, is_error=True)
    elif kind == "unchanged":
        conv.call("Read", {"file_path": arg}, UNCHANGED_PREFIXES[0] + ". Refer to the earlier result.")
    elif kind == "clear":
        results = [b for m in conv.messages[:-2] if isinstance(m["content"], list)
                   for b in m["content"] if b.get("type") == "tool_result"]
        if results:
            results[arg % len(results)]["content"] = "[Old tool result content cleared]"
    elif kind in ("memory_fault", "memory_release", "collapse"):
        if not eng.sessions:
            return
        s = next(iter(eng.sessions.values()))
        ids = [p for p in s.order if s.pages[p].turn > 0]
        if kind == "collapse":
            try:
                eng.command("session.collapse", session=s.id, first=arg, last=arg + n, summary="summary")
            except CommandError:
                pass
        elif ids:
            eng.answer_phantom_calls(s.id, [{"id": f"ph{arg}", "name": kind, "input": {"paths": [ids[arg % len(ids)]]}}])
    else:
        if not eng.sessions:
            return
        s = next(iter(eng.sessions.values()))
        ids = [p for p in s.order if s.pages[p].turn > 0]
        try:
            if kind == "session.compact":
                eng.command(kind, session=s.id)
            elif ids:
                eng.command(kind, session=s.id, page=ids[arg % len(ids)])
        except CommandError:
            pass


def check(eng, res, body) -> None:
    assert validate_request(res.outbound) == []
    s = eng.sessions[res.session_id]
    dropped = sum(c["end"] - c["start"] - 1 for c in s.collapses)     # a collapse keeps its first and last message
    assert len(res.outbound["messages"]) == len(body["messages"]) - dropped
    # the last user turn is never evicted
    last = body["messages"][-1]["content"]
    assert res.outbound["messages"][-1]["content"][:len(last)] == last or \
        [b.get("tool_use_id") for b in res.outbound["messages"][-1]["content"]][:len(last)] == \
        [b.get("tool_use_id") for b in last]
    for p in s.pages.values():
        if p.turn == s.turn and p.epoch == s.epoch:
            assert p.state in (PageState.RESIDENT, PageState.PINNED, PageState.CLEARED), p
        if p.is_error:   # never evicted; a collapse (an authored summary of whole turns) may fold one in
            assert not p.state.is_out or p.state in (PageState.CLEARED, PageState.COLLAPSED)
    # faults never exceed paged evictions, and each links to a real eviction
    assert s.stats.faults <= s.stats.evictions
    for f in s.faults:
        ev = s.pages[f.page]
        assert ev.evicted_at_turn is not None and f.eviction_turn <= f.turn and f.turns_since >= 0
    # counters match the table
    res_tok = sum(p.tokens for p in s.pages.values() if p.turn > 0 or p.pos >= 0
                  if not p.state.is_out and p.kind.value not in ("system", "tool_def"))
    assert s.resident_tokens == res_tok


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=1, max_size=30), st.integers(1, 5), st.sampled_from([0, 300, 500, 3000]))
def test_invariants_hold_under_random_sessions(actions, tau, min_size):
    eng, conv = engine(age_threshold=tau, min_size=min_size), Conversation()
    for act in actions:
        apply(conv, eng, act)
        if len(conv.messages) < 2:
            continue
        body = conv.body()
        res = eng.handle_request(body, {})
        check(eng, res, body)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(FILES), min_size=2, max_size=25), st.integers(0, 6))
def test_moved_cache_markers_never_split_a_session(reads, marker_every):
    eng, conv = engine(), Conversation()
    for i, f in enumerate(reads):
        conv.read(f)
        body = conv.body()
        body.pop("metadata")
        if marker_every and i % marker_every == 0:
            for m in body["messages"][: 1 + i % 3]:
                if isinstance(m["content"], list):
                    m["content"][0]["cache_control"] = {"type": "ephemeral"}
        eng.handle_request(body, {})
    assert len(eng.sessions) == 1
