"""A page folded into an L3 collapse stays reachable: pin, restore and anchor cannot strand it (issue 9's invariant).

Found by the reachability property test: actions read /p/f0.py, read /p/f0.py, collapse turns 1-2, page.pin on the
first read's result (τ=1, min_size=0, cooperative off). The pin "restored" the page to pinned while the collapse
summary still replaced its turns, so the model saw `call memory_fault with "ID"` and memory_fault answered
"page ID is not evicted by pichay (pinned)": the content was out of the model's view with no way back.
"""
from __future__ import annotations

import pytest

from pichay_tui.core.cooperative.cleanup_tags import CleanupOp
from pichay_tui.core.errors import CommandError
from pichay_tui.core.model.pages import Kind, PageState
from pichay_tui.core.lab.synthetic import file_content

from .helpers import Conversation, engine


def _collapsed_read():
    """Two reads of one file, turns 1-2 collapsed: returns (engine, conversation, session, collapsed page, content)."""
    eng, conv = engine(age_threshold=1, min_size=0, cooperative=False), Conversation()
    conv.read("/p/f0.py", lines=5)
    content = file_content("/p/f0.py", 0, 5)
    eng.handle_request(conv.body(), {})
    conv.read("/p/f0.py", lines=5)
    r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    eng.command("session.collapse", session=s.id, first=1, last=2, summary="summary")
    r = eng.handle_request(conv.body(), {})
    page = next(p for p in s.pages.values() if p.kind is Kind.TOOL_RESULT and p.turn == 2)
    assert page.state is PageState.COLLAPSED
    assert page.id in str(r.outbound["messages"][0])             # the collapse summary names it
    return eng, conv, s, page, content


def _fault(eng, s, pid: str) -> dict:
    return eng.answer_phantom_calls(s.id, [{"id": "t", "name": "memory_fault", "input": {"paths": [pid]}}])[0]


@pytest.mark.parametrize("command", ["page.pin", "page.restore"])
def test_pin_or_restore_of_a_collapsed_page_is_refused_and_memory_fault_still_serves_it(command):
    eng, conv, s, page, content = _collapsed_read()
    with pytest.raises(CommandError, match="folded into the collapsed turns 1-2") as e:
        eng.command(command, session=s.id, page=page.id)
    assert e.value.status == 409
    r = eng.handle_request(conv.body(), {})
    assert page.state is PageState.COLLAPSED and not page.pinned
    assert page.id in str(r.outbound["messages"][0])          # the summary still names it
    got = _fault(eng, s, page.id)
    assert not got.get("is_error") and got["content"] == content


def test_pin_queued_behind_a_collapse_fails_when_applied_and_the_page_stays_reachable():
    eng, conv = engine(age_threshold=1, min_size=0, cooperative=False), Conversation()
    conv.read("/p/f0.py", lines=5)
    content = file_content("/p/f0.py", 0, 5)
    eng.handle_request(conv.body(), {})
    conv.read("/p/f0.py", lines=5)
    r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    page = next(p for p in s.pages.values() if p.kind is Kind.TOOL_RESULT and p.turn == 2)
    eng.command("session.collapse", session=s.id, first=1, last=2, summary="summary")
    eng.command("page.pin", session=s.id, page=page.id)         # valid when issued: the collapse is only queued
    events = []
    eng.subscribe(events.append)
    eng.handle_request(conv.body(), {})
    applied = [e.data for e in events if e.kind == "command_applied" and e.data["command"] == "page.pin"]
    assert applied and applied[0]["ok"] is False and "folded into the collapsed turns 1-2" in applied[0]["error"]
    assert page.state is PageState.COLLAPSED
    got = _fault(eng, s, page.id)
    assert not got.get("is_error") and got["content"] == content


def test_pin_applied_before_a_collapse_gives_way_to_it():
    eng, conv = engine(age_threshold=10, min_size=0, cooperative=False), Conversation()
    conv.read("/p/f0.py", lines=5)
    content = file_content("/p/f0.py", 0, 5)
    eng.handle_request(conv.body(), {})
    conv.read("/p/f1.py", lines=5)
    r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    page = next(p for p in s.pages.values() if p.kind is Kind.TOOL_RESULT and p.turn == 2)
    eng.command("page.pin", session=s.id, page=page.id)
    eng.handle_request(conv.body(), {})
    assert page.pinned
    eng.command("session.collapse", session=s.id, first=1, last=2, summary="summary")
    eng.handle_request(conv.body(), {})
    assert page.state is PageState.COLLAPSED and not page.pinned
    got = _fault(eng, s, page.id)
    assert not got.get("is_error") and got["content"] == content


def test_the_models_anchor_on_a_collapsed_page_is_refused_and_it_stays_reachable():
    eng, conv, s, page, content = _collapsed_read()
    [out] = eng.apply_cleanup(s.id, [CleanupOp("anchor", [page.id], None, None)])
    assert out["ok"] is False and "folded into the collapsed turns 1-2" in out["error"]
    eng.handle_request(conv.body(), {})
    assert page.state is PageState.COLLAPSED
    got = _fault(eng, s, page.id)
    assert not got.get("is_error") and got["content"] == content


def test_a_page_released_before_the_collapse_is_refused_too():
    """Found at 1500 examples: a released page inside the span keeps the state released, so state alone missed it
    (for pin and restore, and for the queued fault-in of memory_fault, which restored it to resident)."""
    eng, conv = engine(age_threshold=10, min_size=0, cooperative=True), Conversation()
    conv.read("/p/f0.py", lines=5)
    content = file_content("/p/f0.py", 0, 5)
    eng.handle_request(conv.body(), {})
    conv.read("/p/f1.py", lines=5)
    r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    page = next(p for p in s.pages.values() if p.kind is Kind.TOOL_RESULT and p.turn == 2)
    eng.answer_phantom_calls(s.id, [{"id": "r", "name": "memory_release", "input": {"paths": [page.id]}}])
    conv.bash("ls", lines=1)
    eng.handle_request(conv.body(), {})
    assert page.state is PageState.RELEASED
    eng.command("session.collapse", session=s.id, first=1, last=2, summary="summary")
    r = eng.handle_request(conv.body(), {})
    assert page.id in str(r.outbound["messages"][0])              # the collapse summary names it
    for command in ("page.pin", "page.restore"):
        with pytest.raises(CommandError, match="folded into the collapsed turns 1-2"):
            eng.command(command, session=s.id, page=page.id)
    for _ in range(2):        # the queued fault-in must not "restore" it to resident behind the summary either
        got = _fault(eng, s, page.id)
        assert not got.get("is_error") and got["content"] == content
        eng.handle_request(conv.body(), {})
        assert page.state.is_out
