"""Operator commands a person can follow: an unpin sticks, a queued compaction or collapse shows on the pages it will
touch, and the pressure note names the memory tools the model is actually offered."""
from __future__ import annotations

from pichay_tui.core.commands.registry import pending_by_page
from pichay_tui.core.model.config import Zones
from pichay_tui.core.view.model import ViewModel

from .helpers import Conversation, engine
from .test_faults_pins import read_then_age, step


def _pages(eng, address):
    s = next(iter(eng.sessions.values()))
    return [p for p in s.pages.values() if p.address == address and p.kind.value == "tool_result"]


def _fault_pinned(eng, conv):
    """/a.py read, paged out, read again (a fault), then aged to τ: the sweep pins the re-read copy for the fault."""
    read_then_age(eng, conv)
    read_then_age(eng, conv, tag="z")
    page = _pages(eng, "/a.py")[-1]
    assert page.pin_reason is not None and page.pin_reason.value == "fault"
    return page


def test_operator_unpin_of_a_fault_pinned_page_stays_unpinned_until_it_faults_again():
    eng, conv = engine(), Conversation()
    page = _fault_pinned(eng, conv)
    eng.command("page.unpin", page=page.id)
    conv.bash("after-unpin", lines=2)
    r = step(eng, conv)
    assert any(e.kind == "page_unpinned" and e.data["reason"] == "operator" for e in r.events)
    assert not any(e.kind == "page_pinned" for e in r.events)
    # it is old enough to go: the next sweeps evict it instead of pinning it again for the old fault
    for i in range(3):
        conv.bash(f"later{i}", lines=2)
        r = step(eng, conv)
        assert not any(e.kind == "page_pinned" for e in r.events), "the pin came back without a new fault"
    assert page.state.value == "evicted" and page.pin_reason is None
    # a new fault re-arms fault pinning: the copy read now is pinned when it ages, and the event says why
    read_then_age(eng, conv, tag="w")
    conv.read("/a.py")
    step(eng, conv)
    events = []
    eng.subscribe(events.append)
    read_then_age(eng, conv, tag="v")
    assert any(e.kind == "page_pinned" and e.data["reason"] == "fault" for e in events)


def test_queued_compaction_marks_the_pages_it_will_evict_and_only_those():
    eng, conv = engine(age_threshold=10, min_size=500), Conversation()
    for f in ("/a.py", "/b.py", "/c.py"):
        conv.read(f)
        step(eng, conv)
    conv.bash("tiny", lines=1)                          # below min_size: a compaction leaves it
    step(eng, conv)
    conv.read("/d.py")                                  # the last user turn: never compacted
    step(eng, conv)
    s = next(iter(eng.sessions.values()))
    eng.command("page.pin", page=_pages(eng, "/b.py")[0].id)
    assert set(pending_by_page(s).values()) == {"page.pin"}
    eng.command("session.compact")
    pend = pending_by_page(s)
    marked = {s.pages[pid].address for pid, c in pend.items() if c == "session.compact"}
    assert marked == {"/a.py", "/c.py"}                  # /b.py keeps its queued pin, /d.py is the last turn
    assert pend[_pages(eng, "/b.py")[0].id] == "page.pin"
    vm = ViewModel(eng)
    vm.selected = s.id
    rows = {r.address: r for r in vm.rows()}
    assert rows["/a.py"].pending == "session.compact" and rows["/d.py"].pending == ""
    # what the table promised is what happened
    conv.bash("next", lines=1)
    step(eng, conv)
    evicted = {p.address for p in s.pages.values() if p.state.value == "evicted"}
    assert {"/a.py", "/c.py"} <= evicted and "/b.py" not in evicted
    assert not pending_by_page(s) and all(not r.pending for r in vm.rows())


def test_queued_collapse_marks_the_results_of_its_turns():
    eng, conv = engine(age_threshold=10), Conversation()
    for f in ("/a.py", "/b.py", "/c.py", "/d.py"):
        conv.read(f)
        step(eng, conv)
    s = next(iter(eng.sessions.values()))
    first, last = _pages(eng, "/a.py")[0].turn, _pages(eng, "/b.py")[0].turn
    eng.command("session.collapse", first=first, last=last, summary="read a and b")
    marked = {s.pages[pid].address for pid, c in pending_by_page(s).items() if c == "session.collapse"}
    assert marked == {"/a.py", "/b.py"}


def _advisory_engine(**kw):
    return engine(zones=Zones(window=200_000, advisory=1_000, involuntary=150_000, aggressive=180_000),
                  age_threshold=10, **kw)


def _note(outbound) -> str:
    last = outbound["messages"][-1]["content"]
    return next((b["text"] for b in last if b.get("type") == "text" and "pichay memory status" in b["text"]), "")


def test_pressure_note_names_memory_release_when_the_tool_is_offered():
    eng, conv = _advisory_engine(cooperative=True), Conversation()
    conv.read("/a.py", lines=400)
    r = step(eng, conv)
    note = _note(r.outbound)
    assert note and "memory_release tool" in note
    assert "<memory_cleanup>" in note                  # the tags are acted on when cooperation is on
    assert any(t["name"] == "memory_release" for t in r.outbound["tools"])


def test_pressure_note_does_not_name_memory_release_when_cooperation_is_off():
    eng, conv = _advisory_engine(cooperative=False), Conversation()
    conv.read("/a.py", lines=400)
    r = step(eng, conv)
    note = _note(r.outbound)
    assert note and "memory_release" not in note
    # cleanup tags are neither stripped nor acted on without cooperation: the note must not invite them
    assert "<memory_cleanup>" not in note and "release: PAGE_ID" not in note
    assert "pichay memory status" in note and "/a.py" in note
    assert not any(t["name"] == "memory_release" for t in r.outbound["tools"])
