"""Cooperative memory in the core: phantom tools, cleanup operations, L3 collapse, splices."""
from __future__ import annotations

import pytest

from pichay_tui.core.model.blocks import strip_cache_control
from pichay_tui.core.cooperative.cleanup_tags import strip_cleanup_blocks
from pichay_tui.core.errors import CommandError
from pichay_tui.core.lab.synthetic import file_content
from pichay_tui.core.model.validate import validate_request

from .helpers import Conversation, engine, tool_result_texts


def run(n=6):
    eng, conv = engine(), Conversation()
    res = None
    for i in range(n):
        conv.read(f"/f{i}.py")
        res = eng.handle_request(conv.body(), {})
    return eng, conv, res


def rpage(eng, sid, path, latest=True):
    pages = [p for p in eng.sessions[sid].pages.values() if p.kind.value == "tool_result" and p.address == path]
    return pages[-1] if latest else pages[0]


def test_phantom_tools_are_appended_after_client_tools():
    eng, conv, r = run(1)
    names = [t["name"] for t in r.outbound["tools"]]
    client = [t["name"] for t in conv.body()["tools"]]
    assert names[: len(client)] == client and names[len(client):] == ["memory_release", "memory_fault"]


def test_memory_release_by_path_applies_next_request_and_bypasses_age():
    eng, conv, r = run(2)
    sid = r.session_id
    [res] = eng.answer_phantom_calls(sid, [{"id": "toolu_p1", "name": "memory_release",
                                            "input": {"paths": ["/f1.py"]}}])
    assert res["tool_use_id"] == "toolu_p1" and "released from your next turn" in res["content"]
    conv.bash("ls", lines=1)
    r = eng.handle_request(conv.body(), {})
    page = rpage(eng, sid, "/f1.py")
    assert page.state.value == "released"
    assert tool_result_texts(r.outbound)[1].startswith("[Released: Read /f1.py")
    assert eng.sessions[sid].stats.releases == 1


def test_memory_fault_returns_content_now_counts_minor_fault_and_restores_in_place():
    eng, conv, r = run(7)
    sid = r.session_id
    page = rpage(eng, sid, "/f0.py")
    assert page.state.value == "evicted"
    [res] = eng.answer_phantom_calls(sid, [{"id": "toolu_p2", "name": "memory_fault",
                                            "input": {"paths": [page.id]}}])
    assert file_content("/f0.py", 0, 120) in res["content"] and not res.get("is_error")
    conv.bash("ls", lines=1)
    r = eng.handle_request(conv.body(), {})
    s = eng.sessions[sid]
    assert s.stats.minor_faults == 1 and s.stats.faults == 1 and page.state.value == "resident"
    assert tool_result_texts(r.outbound)[0] == file_content("/f0.py", 0, 120)


def test_memory_fault_unknown_target_is_an_error_result():
    eng, conv, r = run(2)
    [res] = eng.answer_phantom_calls(r.session_id, [{"id": "t", "name": "memory_fault", "input": {"paths": ["pdeadbeef"]}}])
    assert res["is_error"] and "no matching evicted page" in res["content"]


def test_cleanup_ops_only_honour_ids_we_issued():
    eng, conv, r = run(6)
    sid = r.session_id
    keep = rpage(eng, sid, "/f3.py")
    drop = rpage(eng, sid, "/f4.py")
    text = (f"Done.\n<memory_cleanup>\nanchor: block:{keep.id}\ndrop: {drop.id}\ndrop: p00000000\n"
            f"</memory_cleanup>")
    clean, ops, errors = strip_cleanup_blocks(text)
    assert clean.strip() == "Done." and len(ops) == 3 and not errors
    results = eng.apply_cleanup(sid, ops)
    assert [x["ok"] for x in results] == [True, True, False] and "not a page id we issued" in results[2]["error"]
    for i in range(5):
        conv.bash(f"x{i}", lines=1)
        eng.handle_request(conv.body(), {})
    assert keep.state.value == "pinned" and keep.pin_reason.value == "anchor"
    assert drop.state.value == "released"


def test_summarize_shows_the_summary_in_the_handle():
    eng, conv, r = run(4)
    sid = r.session_id
    p = rpage(eng, sid, "/f1.py")
    _, ops, _ = strip_cleanup_blocks(f'<memory_cleanup>summarize: {p.id} "defines Widget and two helpers"'
                                     f'</memory_cleanup>')
    eng.apply_cleanup(sid, ops)
    conv.bash("ls", lines=1)
    r = eng.handle_request(conv.body(), {})
    assert "defines Widget and two helpers" in tool_result_texts(r.outbound)[1]


@pytest.mark.parametrize("first,last", [(2, 4), (1, 1), (1, 6), (3, 3)])
def test_collapse_keeps_request_valid_and_pages_restorable(first, last):
    eng, conv, r = run(8)
    sid = r.session_id
    eng.command("session.collapse", session=sid, first=first, last=last, summary="Read the first files; all fine.")
    conv.bash("ls", lines=1)
    r = eng.handle_request(conv.body(), {})
    assert validate_request(r.outbound) == []
    roles = [m["role"] for m in r.outbound["messages"]]
    assert all(a != b for a, b in zip(roles, roles[1:]))
    assert len(r.outbound["messages"]) == len(conv.body()["messages"]) - 2 * (last - first)
    text = str(r.outbound["messages"])
    assert f"Summary of turns {first}-{last}" in text and "Read the first files; all fine." in text
    s = eng.sessions[sid]
    collapsed = [p for p in s.pages.values() if p.state.value == "collapsed"]
    assert collapsed and s.collapses[0]["summary"] == "Read the first files; all fine."
    # collapsed content can still be faulted in through memory_fault
    targets = [p for p in collapsed if p.kind.value == "tool_result"]
    if targets:
        [res] = eng.answer_phantom_calls(sid, [{"id": "t9", "name": "memory_fault",
                                                "input": {"paths": [targets[0].id]}}])
        assert not res.get("is_error") and "line 0" in res["content"]
    # the summary is stable on the next request (one cache miss per collapse, not per request)
    conv.bash("ls2", lines=1)
    r2 = eng.handle_request(conv.body(), {})
    start = s.collapses[0]["start"]
    assert r2.outbound["messages"][: start + 1] == r.outbound["messages"][: start + 1]


def test_collapse_rejects_last_turn_overlap_and_bad_ranges():
    eng, conv, r = run(6)
    sid = r.session_id
    with pytest.raises(CommandError, match="last user turn"):
        eng.command("session.collapse", session=sid, first=2, last=7, summary="x")
    with pytest.raises(CommandError, match="bad turn range"):
        eng.command("session.collapse", session=sid, first=3, last=2, summary="x")
    with pytest.raises(CommandError, match="summary"):
        eng.command("session.collapse", session=sid, first=1, last=2, summary=" ")
    eng.command("session.collapse", session=sid, first=1, last=3, summary="a")
    conv.bash("ls", lines=1)
    eng.handle_request(conv.body(), {})
    with pytest.raises(CommandError, match="overlap"):
        eng.command("session.collapse", session=sid, first=2, last=4, summary="b")


def test_mixed_phantom_and_real_calls_are_spliced_into_the_next_request():
    eng, conv, r = run(6)
    sid = r.session_id
    use = {"type": "tool_use", "id": "toolu_phantom_1", "name": "memory_release", "input": {"paths": ["/f2.py"]}}
    results = eng.answer_phantom_calls(sid, [use])
    tid = conv.read("/f9.py")              # the real call the client saw and answered
    eng.stage_splice(sid, [tid], [use], results)
    r = eng.handle_request(conv.body(), {})
    assert validate_request(r.outbound) == []
    assistant, user = r.outbound["messages"][-2], r.outbound["messages"][-1]
    assert assistant["content"][-1]["id"] == "toolu_phantom_1"
    assert [b["tool_use_id"] for b in user["content"] if b["type"] == "tool_result"] == [tid, "toolu_phantom_1"]
    conv.bash("ls", lines=1)
    r2 = eng.handle_request(conv.body(), {})
    strip = strip_cache_control
    assert [m["content"][-1]["id"] for m in r2.outbound["messages"][-4:-3]] == ["toolu_phantom_1"]
    assert [strip(b) for b in r2.outbound["messages"][-3]["content"]] == [strip(b) for b in user["content"]]
    assert validate_request(r2.outbound) == []


def test_memory_fault_of_garbage_collected_output_is_a_restore_not_a_fault():
    eng, conv = engine(), Conversation()
    conv.bash("make test", lines=60)
    for i in range(5):
        conv.read(f"/f{i}.py")
        r = eng.handle_request(conv.body(), {})
    s = eng.sessions[r.session_id]
    gc = next(p for p in s.pages.values() if p.tool == "Bash" and p.kind.value == "tool_result")
    assert gc.state.value == "evicted" and not gc.paged
    [res] = eng.answer_phantom_calls(s.id, [{"id": "t", "name": "memory_fault", "input": {"paths": [gc.id]}}])
    assert "make test output line 0" in res["content"]
    assert s.stats.faults == 0 and s.stats.faults <= s.stats.evictions


def test_only_the_tool_definitions_we_appended_are_ours():
    """A client's own tool equal to ours (same name and schema) is the client's: ours are the objects the engine
    appends, found by identity (no deep compare of schemas on every response)."""
    import copy

    from pichay_tui.core.cooperative.phantom import PHANTOM_TOOL_DEFS, injected

    client_copy = copy.deepcopy(PHANTOM_TOOL_DEFS[0])
    tools = [{"name": "Read"}, client_copy, PHANTOM_TOOL_DEFS[1]]
    assert client_copy == PHANTOM_TOOL_DEFS[0]
    assert injected(tools) == [PHANTOM_TOOL_DEFS[1]] and injected(tools)[0] is PHANTOM_TOOL_DEFS[1]
    assert injected(None) == [] and injected([client_copy]) == []
