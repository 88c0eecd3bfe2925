"""The UI asks the engine whether an operator command applies (Engine.check): the operator's wording first, then the
command's own validator, so a key never offers what the engine would refuse."""
from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.model.exchange import ResponseSummary
from pichay_tui.core.paging.eligibility import evictable, would_compact
from pichay_tui.core.view.model import ViewModel


def _send(eng, conv):
    r = eng.handle_request(conv.body(), {})
    eng.handle_response(r.session_id, ResponseSummary(status=200, usage={"input_tokens": 10}))
    return eng.sessions[r.session_id]


def _setup():
    eng = Engine(PagerConfig(age_threshold=50), clock=lambda: 1000.0)
    vm = ViewModel(eng)
    eng.subscribe(vm.feed)
    conv = Conversation("av")
    _send(eng, conv)
    conv.read("/p/src/a.py")
    s = _send(eng, conv)
    return eng, vm, conv, s


def _result(s, address_end):
    return next(p for p in s.pages.values() if p.kind.value == "tool_result" and p.address.endswith(address_end))


def test_last_turn_result_is_refused_with_the_engines_reason():
    eng, vm, conv, s = _setup()
    a = _result(s, "a.py")
    ok, why = eng.check("page.evict", s, a)
    assert not ok and "last user turn" in why
    try:
        eng.command("page.evict", session=s.id, page=a.id)
    except Exception as e:                     # the same reason the engine gives when the command is issued
        assert str(e) == why
    else:
        raise AssertionError("the engine queued what check refused")
    assert not evictable(s, a)


def test_older_result_applies_and_operator_wording_comes_first():
    eng, vm, conv, s = _setup()
    conv.bash("ls")
    s = _send(eng, conv)
    a = _result(s, "a.py")
    assert eng.check("page.evict", s, a) == (True, "")
    assert evictable(s, a) and would_compact(s, a) == (a.bytes >= s.config.min_size)
    assert eng.check("page.unpin", s, a) == (False, f"{a.id}: not pinned — nothing to unpin")
    eng.command("page.evict", session=s.id, page=a.id)
    row = vm.row(a.id)
    assert row.pending == "page.evict"
    ok, why = vm.check("page.evict", row)
    assert not ok and why == f"{a.id}: an eviction already queued — it applies at the next request"
    assert vm.check("session.compact", None) == (True, "")
    assert vm.check("session.collapse", None) == (True, "")     # turns and summary are checked when issued
    assert eng.check("page.pin", s, None) == (False, "no page selected")
