"""Faults follow evictions and link to them; fault-driven pinning; 'unchanged' re-reads get content back."""
from __future__ import annotations

from pichay_tui.core.lab.synthetic import file_content

from .helpers import UNCHANGED_PREFIXES, Conversation, engine, tool_result_texts


def step(eng, conv):
    return eng.handle_request(conv.body(), {})


def read_then_age(eng, conv, path="/a.py", turns=5, tag="x"):
    """Read `path`, then `turns` small tool turns: with τ = 4 the read is paged out before the last of them."""
    conv.read(path)
    step(eng, conv)
    for i in range(turns):
        conv.bash(f"{tag}{i}", lines=2)
        r = step(eng, conv)
    return r


def test_reread_before_eviction_is_not_a_fault():
    eng, conv = engine(), Conversation()
    conv.read("/a.py")
    step(eng, conv)
    conv.read("/a.py")                     # age 1: still resident
    step(eng, conv)
    assert eng.state()["sessions"][0]["stats"]["faults"] == 0


def test_fault_links_to_its_eviction_with_turns_and_seconds():
    eng, conv = engine(), Conversation()
    read_then_age(eng, conv)               # /a.py evicted at turn 6 (age 4)
    conv.read("/a.py")                     # model asks again after seeing the handle
    r = step(eng, conv)
    s = eng.state()["sessions"][0]
    assert s["stats"]["faults"] == 1 and s["stats"]["major_faults"] == 1
    f = s["faults"][0]
    evicted = next(p for p in s["pages"] if p["id"] == f["page"])
    assert evicted["state"] == "evicted" and evicted["evicted_at_turn"] == f["eviction_turn"]
    assert f["turns_since"] == 2 and f["seconds_since"] > 0
    assert [e for e in r.events if e.kind == "page_faulted"]


def test_rereads_of_resident_or_pinned_page_are_not_faults():
    eng, conv = engine(), Conversation()
    read_then_age(eng, conv)
    for _ in range(3):
        conv.read("/a.py")                 # first is a fault; the next two hit a resident copy
        step(eng, conv)
    assert eng.state()["sessions"][0]["stats"]["faults"] == 1


def test_fault_pins_same_content_and_changed_content_unpins():
    eng, conv = engine(), Conversation()
    read_then_age(eng, conv)
    r = read_then_age(eng, conv, tag="z")  # the re-read faults; then it ages to τ and is pinned instead
    pages = [p for p in eng.state()["sessions"][0]["pages"] if p["address"] == "/a.py" and p["kind"] == "tool_result"]
    assert [p["state"] for p in pages] == ["evicted", "pinned"] and pages[1]["pin_reason"] == "fault"
    assert tool_result_texts(r.outbound)[6].startswith("1\t")          # pinned copy still sent in full
    conv.edit("/a.py")
    conv.read("/a.py")                     # different content now: the pin is released
    r = step(eng, conv)
    assert any(e.kind == "page_unpinned" and e.data["reason"] == "content changed" for e in r.events)
    pages = [p for p in eng.state()["sessions"][0]["pages"] if p["address"] == "/a.py" and p["kind"] == "tool_result"]
    # the old version is unpinned and, being old, ages out at once; the new version starts a fresh cycle
    assert pages[1]["pin_reason"] is None and pages[1]["state"] == "evicted"
    assert pages[2]["state"] == "resident"


def test_unchanged_notice_for_evicted_file_is_served_from_backing_store():
    eng, conv = engine(), Conversation()
    read_then_age(eng, conv)
    notice = UNCHANGED_PREFIXES[0] + ". The content from the earlier Read tool_result is still current."
    conv.call("Read", {"file_path": "/a.py"}, notice)
    r = step(eng, conv)
    texts = tool_result_texts(r.outbound)
    assert texts[-1] == file_content("/a.py", 0, 120)             # the model gets the content back
    assert texts[0].startswith("[Paged out")
    st = eng.state()["sessions"][0]["stats"]
    assert st["faults"] == 1 and st["minor_faults"] == 1 and st["substitutions"] == 1
    # the client's view keeps its notice; only the outbound changes
    assert tool_result_texts(conv.body())[-1] == notice


def test_unchanged_notice_for_resident_file_is_left_alone():
    eng, conv = engine(), Conversation()
    conv.read("/a.py")
    step(eng, conv)
    conv.call("Read", {"file_path": "/a.py"}, UNCHANGED_PREFIXES[0] + ".")
    r = step(eng, conv)
    assert tool_result_texts(r.outbound)[-1].startswith(UNCHANGED_PREFIXES[0])
    assert eng.state()["sessions"][0]["stats"]["faults"] == 0
