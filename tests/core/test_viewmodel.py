from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.model.exchange import ResponseSummary
from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.core.view.turndiff import BodyTap
from pichay_tui.core.view.model import ViewModel


def setup():
    t = [1000.0]
    eng = Engine(PagerConfig(age_threshold=2), clock=lambda: t[0])
    tap = BodyTap(eng)
    vm = ViewModel(eng)
    eng.subscribe(vm.feed)
    return eng, tap, vm, Conversation("vm")


def send(eng, conv):
    r = eng.handle_request(conv.body(), {})
    eng.handle_response(r.session_id, ResponseSummary(status=200, usage={"input_tokens": 10,
                                                                         "cache_read_input_tokens": 500}))
    return r


def test_rows_gauge_faults_pins_and_turns():
    eng, tap, vm, conv = setup()
    send(eng, conv)
    assert vm.selected and vm.take_changes() == {vm.selected}
    conv.read("/p/src/a.py")
    send(eng, conv)
    rows = {r.id: r for r in vm.rows()}
    a = next(r for r in rows.values() if r.kind == "tool_result")
    assert a.tool == "Read" and a.address.endswith("a.py") and a.state == "resident" and a.age == 0
    assert all(r.kind != "tool_use" for r in rows.values())
    vm.show_all = True
    assert any(r.kind == "tool_use" for r in vm.rows())
    for i in range(3):
        conv.bash(f"ls {i}")
        send(eng, conv)
    assert vm.all_rows()[a.id].state == "evicted" and vm.all_rows()[a.id].age == 3
    orig, now = tap.content(vm.selected, a.id)
    assert "a.py v0 line 0" in orig and now.startswith("[Paged out: Read")
    conv.read("/p/src/a.py")                     # fault
    send(eng, conv)
    f = vm.faults()
    assert len(f) == 1 and f[0].page == a.id and f[0].major and f[0].refaults == 1
    kinds = [e.kind for e in vm.page_history(a.id)]
    assert kinds[0] == "page_added" and "page_evicted" in kinds and "page_faulted" in kinds
    # operator pin shows as pending, then applies
    target = next(r for r in vm.rows() if r.tool == "Bash" and r.kind == "tool_result" and r.state == "resident")
    eng.command("page.pin", page=target.id)
    assert vm.all_rows()[target.id].pending == "page.pin"
    assert [p.pending for p in vm.pins()] == ["page.pin"]
    send(eng, conv)
    assert vm.all_rows()[target.id].state == "pinned" and vm.all_rows()[target.id].pending == ""
    assert [(p.page, p.reason) for p in vm.pins()] == [(target.id, "operator")]
    g = vm.gauge()
    assert g.window == 200_000 and g.zone == "normal" and g.next_zone == "advisory" and g.to_next > 0
    recs = vm.turns.for_session(vm.selected)
    assert [r.request_no for r in recs] == list(range(1, len(recs) + 1))
    ev_rec = next(r for r in recs if r.evicted)
    assert ev_rec.predicted_invalidated is not None and ev_rec.observed["cache_read_input_tokens"] == 500
    assert recs[-1].commands == ["page.pin ok"]
    s = vm.sessions()[0]
    assert s.faults == 1 and s.pins == 1 and s.evictions >= 1


def test_filter_and_sort():
    eng, tap, vm, conv = setup()
    for i in range(6):
        conv.read(f"/p/src/f{i}.py", lines=20 + 40 * i)
    send(eng, conv)
    vm.set_filter("tool:Read tokens>1k")
    assert vm.rows() and all(r.tool == "Read" and r.tokens > 1000 for r in vm.rows())
    vm.set_filter("")
    assert vm.cycle_sort() == "tokens"
    toks = [r.tokens for r in vm.rows()]
    assert toks == sorted(toks, reverse=True)


def test_thrash_warning():
    eng, tap, vm, conv = setup()
    send(eng, conv)
    for rnd in range(2):
        for name in ("a", "b", "c", "d"):
            conv.read(f"/p/{name}.py")
            send(eng, conv)
    assert len(vm.faults()) == 4 and "thrashing: a.py, b.py, c.py" in vm.thrash_warning()
    for i in range(8):                      # fault pinning settles it; the warning goes away
        conv.bash(f"true {i}")
        send(eng, conv)
    assert vm.thrash_warning() == ""
