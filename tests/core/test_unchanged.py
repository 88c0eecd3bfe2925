"""'Unchanged' answers to a re-read are recognised by what they say, in any wording (issue 9), and only those.

When the client answers a re-read of a page we evicted with a notice instead of the content, the pager serves the
stored content in its place and counts the fault. Real small files, errors, changed files and notices about pages we
never evicted are left exactly as the client sent them.
"""
from __future__ import annotations

import pytest

from pichay_tui.core.lab.synthetic import file_content
from pichay_tui.core.model.unchanged import is_unchanged_notice

from .helpers import Conversation, engine, tool_result_texts

# Claude Code 2.1.197's exact answer to a re-read of an unchanged file (issue 9, failure 1)
CC_2_1_197 = "Wasted call — file unchanged since your last Read. Refer to that earlier tool_result instead."
CC_OLDER = ("File unchanged since last read. The content from the earlier Read tool_result in this conversation is "
            "still current — refer to that instead of re-reading.")

NOTICES = [
    CC_2_1_197,
    CC_OLDER,
    "<system-reminder>" + CC_2_1_197 + "</system-reminder>",
    "<system-reminder>\nFile unchanged since last read.\n</system-reminder>",
    "Wasted call — file unchanged since your last Read.",
    # written from scratch for this test: no client prints these
    "This file has not been modified since you last read it.",
    "No changes: the contents are identical to your previous read.",
    "<system-reminder>The file you asked for hasn't changed since the earlier Read call; use that result."
    "</system-reminder>",
    "Skipped: content is the same as the prior read of this file.",
    "The file is unmodified since it was last read.",
    "Nothing new — the file is still up to date with the version you already read.",
    "READ SKIPPED. File content matches the previous tool_result exactly.",
    "note: contents were not altered after your earlier read, refer back to it",
]

NOT_NOTICES = [
    ("     1\tx = 1\n     2\tprint(x)\n", False),                          # a real small file
    ("     1\t# unchanged since 2019: keep the old read path\n     2\tVALUE = 1", False),   # small file, notice-ish words
    ("1→# identical to the previous version\n2→A = 2", False),             # other numbering style
    ("hello world", False),
    ("File does not exist. Current working directory: /w", True),
    ("File does not exist. Current working directory: /w", False),
    ("<tool_use_error>File has been modified since read, either by the user or by a linter. Read it again before "
     "attempting to write it.</tool_use_error>", True),
    ("<tool_use_error>File has not been read yet. Read it first before writing to it.</tool_use_error>", True),
    (CC_2_1_197, True),                                                     # an error never qualifies
    ("The file /a.py has been updated. Here's the result of running `cat -n` on a snippet of the edited file:", False),
    ("unchanged " * 80, False),                                             # too long to be a notice
    ("", False),
]


@pytest.mark.parametrize("text", NOTICES)
def test_notice_wordings_are_recognised(text):
    assert is_unchanged_notice(text)
    assert is_unchanged_notice([{"type": "text", "text": text}])


@pytest.mark.parametrize("text,is_error", NOT_NOTICES)
def test_non_notices_are_not_recognised(text, is_error):
    assert not is_unchanged_notice(text, is_error)


def step(eng, conv):
    return eng.handle_request(conv.body(), {})


def evict_a(eng, conv, tag="x"):
    """Read /a.py, then five small tool turns: with τ = 4 the read is paged out."""
    conv.read("/a.py")
    step(eng, conv)
    for i in range(5):
        conv.bash(f"{tag}{i}", lines=2)
        step(eng, conv)
    s = next(iter(eng.sessions.values()))
    assert any(p.address == "/a.py" and p.state.value == "evicted" for p in s.pages.values())


@pytest.mark.parametrize("text", NOTICES)
def test_notice_for_an_evicted_page_is_served_from_the_store_and_counted(text):
    eng, conv = engine(), Conversation()
    evict_a(eng, conv)
    conv.call("Read", {"file_path": "/a.py"}, text)
    r = step(eng, conv)
    assert tool_result_texts(r.outbound)[-1] == file_content("/a.py", 0, 120)
    st = eng.state()["sessions"][0]["stats"]
    assert (st["faults"], st["minor_faults"], st["major_faults"], st["substitutions"]) == (1, 1, 0, 1)
    assert tool_result_texts(conv.body())[-1] == text          # the client's own history is untouched


def test_notice_as_a_list_of_text_blocks_is_served():
    eng, conv = engine(), Conversation()
    evict_a(eng, conv)
    tid = conv.call("Read", {"file_path": "/a.py"}, "")
    conv.messages[-1]["content"][0]["content"] = [{"type": "text", "text": CC_2_1_197}]
    r = step(eng, conv)
    last = r.outbound["messages"][-1]["content"][0]
    assert last["tool_use_id"] == tid and last["content"] == file_content("/a.py", 0, 120)


@pytest.mark.parametrize("text,is_error", NOT_NOTICES)
def test_non_notice_results_for_an_evicted_page_are_left_alone(text, is_error):
    eng, conv = engine(), Conversation()
    evict_a(eng, conv)
    conv.call("Read", {"file_path": "/a.py"}, text, is_error=is_error)
    r = step(eng, conv)
    assert tool_result_texts(r.outbound)[-1] == text
    assert eng.state()["sessions"][0]["stats"]["substitutions"] == 0


def test_a_file_that_really_changed_is_not_substituted():
    eng, conv = engine(), Conversation()
    evict_a(eng, conv)
    conv.edit("/a.py")
    conv.read("/a.py")                                          # the client sends the new content in full
    r = step(eng, conv)
    assert tool_result_texts(r.outbound)[-1] == file_content("/a.py", 1, 120)
    st = eng.state()["sessions"][0]["stats"]
    assert st["substitutions"] == 0 and st["major_faults"] == 1


def test_notice_for_a_page_we_never_evicted_is_left_alone():
    eng, conv = engine(), Conversation()
    conv.read("/a.py")
    step(eng, conv)
    conv.call("Read", {"file_path": "/a.py"}, CC_2_1_197)
    r = step(eng, conv)
    assert tool_result_texts(r.outbound)[-1] == CC_2_1_197
    st = eng.state()["sessions"][0]["stats"]
    assert st["faults"] == 0 and st["substitutions"] == 0


def test_notice_for_a_file_never_read_is_left_alone():
    eng, conv = engine(), Conversation()
    evict_a(eng, conv)
    conv.call("Read", {"file_path": "/b.py"}, CC_2_1_197)
    r = step(eng, conv)
    assert tool_result_texts(r.outbound)[-1] == CC_2_1_197
    assert eng.state()["sessions"][0]["stats"]["substitutions"] == 0


def test_notice_about_a_resident_page_gets_the_content_when_that_page_is_evicted_later():
    """The notice pointed at a resident read; once that read is paged out, the notice would point at a handle."""
    eng, conv = engine(), Conversation()
    conv.read("/a.py")
    step(eng, conv)
    conv.call("Read", {"file_path": "/a.py"}, CC_2_1_197)
    step(eng, conv)
    seen = []
    for i in range(6):
        conv.bash(f"y{i}", lines=2)
        texts = tool_result_texts(step(eng, conv).outbound)
        seen.append((texts[0].split(":")[0], texts[1].split(":")[0][:12]))
    content = file_content("/a.py", 0, 120)
    # the turn the first read is paged out, the notice carries its content; a turn later that copy ages out too
    assert ("[Paged out", content.split(":")[0][:12]) in seen and seen[-1] == ("[Paged out", "[Paged out")
    assert eng.state()["sessions"][0]["stats"]["substitutions"] == 1
    s = next(iter(eng.sessions.values()))
    for pid in {p.id for p in s.pages.values() if p.address == "/a.py" and p.kind.value == "tool_result"}:
        got = eng.answer_phantom_calls(s.id, [{"id": "f", "name": "memory_fault", "input": {"paths": [pid]}}])
        assert got[0]["content"] == content
