"""Baseline FIFO paging: what gets evicted, when, and what the model sees instead."""
from __future__ import annotations

from pichay_tui.core.model.pages import PageState
from pichay_tui.core.model.validate import validate_request

from .helpers import Conversation, engine, tool_result_texts


def drive(eng, conv, steps):
    res = None
    for step in steps:
        step(conv)
        res = eng.handle_request(conv.body(), {})
    return res


def test_result_evicted_after_tau_user_turns_and_handle_names_how_to_get_it_back():
    eng, conv = engine(), Conversation()
    conv.read("/src/a.py")
    r = eng.handle_request(conv.body(), {})
    assert r.outbound["messages"] == conv.body()["messages"]
    for i in range(3):
        conv.bash(f"echo {i}", lines=2)
        r = eng.handle_request(conv.body(), {})
        assert "[Paged out" not in str(r.outbound["messages"])   # ages 1..3: still resident
    conv.bash("echo 3", lines=2)
    r = eng.handle_request(conv.body(), {})                  # age 4 = τ
    texts = tool_result_texts(r.outbound)
    handle = texts[0]
    assert handle.startswith("[Paged out: Read /src/a.py (")
    assert "lines" in handle and "Re-read the file" in handle and "memory_fault" in handle
    page = next(p for p in eng.state()["sessions"][0]["pages"]
                if p["address"] == "/src/a.py" and p["kind"] == "tool_result")
    assert page["id"] in handle and page["state"] == "evicted"
    assert validate_request(r.outbound) == []
    # the client's own body is never mutated
    assert "[Paged out" not in str(conv.body())


def test_small_error_and_last_turn_results_are_never_evicted():
    eng, conv = engine(), Conversation()
    conv.call("Read", {"file_path": "/x"}, "tiny")                          # < 500 B
    conv.call("Read", {"file_path": "/y"}, "E" * 5000, is_error=True)       # error
    for i in range(6):
        conv.bash(f"c{i}", lines=2)
        eng.handle_request(conv.body(), {})
    states = {p["address"]: p["state"] for p in eng.state()["sessions"][0]["pages"] if p["kind"] == "tool_result"}
    assert states["/x"] == "resident" and states["/y"] == "resident"


def test_gc_for_unaddressable_output_and_paged_for_reads():
    eng, conv = engine(), Conversation()
    conv.bash("make test", lines=60)
    conv.read("/src/b.py")
    for i in range(5):
        conv.call("TodoWrite", {"todos": []}, "ok")
        r = eng.handle_request(conv.body(), {})
    st = eng.state()["sessions"][0]["stats"]
    assert st["gc"] == 1 and st["evictions"] == 1
    texts = tool_result_texts(r.outbound)
    assert texts[0].startswith("[Cleared stale output: Bash make test")
    assert texts[1].startswith("[Paged out: Read /src/b.py")


def test_observe_mode_fills_table_but_sends_client_body():
    eng, conv = engine(mode="observe"), Conversation()
    for i in range(8):
        conv.read(f"/f{i}.py")
        r = eng.handle_request(conv.body(), {})
        assert r.outbound is not None and not r.changed
    pages = eng.state()["sessions"][0]["pages"]
    assert sum(p["kind"] == "tool_result" for p in pages) == 8
    assert all(p["state"] == "resident" for p in pages)


def test_outbound_form_is_cache_stable_and_sweep_reports_predicted_invalidation():
    eng, conv = engine(), Conversation()
    outs = []
    for i in range(10):
        conv.read(f"/f{i}.py")
        r = eng.handle_request(conv.body(), {})
        outs.append(r)
    # the handle for f0 is byte-identical in every request after its eviction
    handles = [tool_result_texts(r.outbound)[0] for r in outs[4:]]
    assert len(set(handles)) == 1 and handles[0].startswith("[Paged out")
    sweeps = eng.state()["sessions"][0]["sweeps"]
    assert sweeps and all(s["predicted_invalidated_tokens"] > 0 for s in sweeps)
    # one sweep per request at most, and its invalidation is the tokens from the first changed block on
    assert len({s["request"] for s in sweeps}) == len(sweeps)
    sw = [e for r in outs for e in r.events if e.kind == "sweep_applied"]
    assert sw[0].data["predicted_invalidated_tokens"] < outs[4].tokens_out


def test_tokens_out_drop_after_eviction_and_counters_add_up():
    eng, conv = engine(), Conversation()
    for i in range(12):
        conv.read(f"/f{i}.py")
        r = eng.handle_request(conv.body(), {})
    s = eng.state()["sessions"][0]
    assert r.tokens_out < r.tokens_in
    resident = sum(p["tokens"] for p in s["pages"] if p["state"] in ("resident", "pinned") and p["turn"] > 0)
    evicted = sum(p["tokens"] for p in s["pages"] if p["state"] == "evicted")
    assert s["stats"]["resident_tokens"] == resident + s["stats"]["header_tokens"]
    assert s["stats"]["evicted_tokens"] == evicted


def test_aggressive_zone_relaxes_thresholds():
    from pichay_tui.core.model.config import Zones

    eng = engine(zones=Zones(window=10_000, advisory=1_000, involuntary=2_000, aggressive=3_000))
    conv = Conversation()
    for i in range(3):
        conv.read(f"/f{i}.py")
        r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    assert s.zone == "aggressive"
    # τ halves to 2: the first read (age 2) is already out
    assert tool_result_texts(r.outbound)[0].startswith("[Paged out")
    assert PageState.EVICTED in {p.state for p in s.pages.values()}


def test_advisory_note_goes_after_the_last_cache_breakpoint_and_names_largest_pages():
    from pichay_tui.core.model.config import Zones

    eng = engine(zones=Zones(window=100_000, advisory=3_000, involuntary=90_000, aggressive=95_000))
    conv = Conversation()
    for i in range(3):
        conv.read(f"/f{i}.py")
        r = eng.handle_request(conv.body(), {})
    assert eng.sessions[r.session_id].zone == "advisory"
    last = r.outbound["messages"][-1]["content"]
    client_last = conv.body()["messages"][-1]["content"]
    assert last[:-1] == client_last                      # client blocks (with the marker) untouched, in place
    assert "cache_control" in last[-2] and "cache_control" not in last[-1]
    note = last[-1]["text"]
    assert "pichay memory status" in note and "% full" in note and "/f0.py" in note
    assert note.count("- page ") == 3 and "memory_cleanup" in note
    assert any(e.kind == "zone_changed" and e.data["new"] == "advisory" for e in r.events) or \
        eng.sessions[r.session_id].zone == "advisory"
    assert validate_request(r.outbound) == []


def test_paper_zone_preset():
    from pichay_tui.core.model.config import Zones

    z = Zones.preset("paper")
    assert (z.advisory, z.involuntary, z.aggressive) == (60_000, 100_000, 120_000)
    assert z.zone_of(59_999) == "normal" and z.zone_of(100_000) == "involuntary"
    assert z.next_threshold(50_000) == ("advisory", 10_000) and z.next_threshold(130_000) is None
