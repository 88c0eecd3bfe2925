"""Hypothesis: whatever the pager takes out of the model's view stays reachable (issue 9's invariant).

For any sequence of requests, operator commands and model operations, every page id named in a handle we put in
the outbound view (paged out, cleared stale output, released, summarised, collapsed) resolves through memory_fault to
that page's original content (summarised releases included). Checked at every request on the read-only path memory_fault takes (resolve → backing
store), and at the end by calling memory_fault itself on every id of the last request's handles.
"""
from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pichay_tui.core.model.blocks import block_text, result_text
from pichay_tui.core.cooperative.cleanup_tags import CleanupOp
from pichay_tui.core.errors import CommandError
from pichay_tui.core.cooperative.phantom import resolve
from pichay_tui.core.model.pages import Kind
from pichay_tui.core.model.unchanged import is_unchanged_notice

from .helpers import Conversation, engine

FILES = [f"/p/f{i}.py" for i in range(5)]
NOTICES = ["Wasted call — file unchanged since your last Read. Refer to that earlier tool_result instead.",
           "File unchanged since last read. Refer to the earlier result.",
           "<system-reminder>This file has not been modified since you last read it.</system-reminder>"]
action = st.one_of(
    st.tuples(st.just("read"), st.sampled_from(FILES), st.integers(5, 150)),
    st.tuples(st.just("edit"), st.sampled_from(FILES), st.just(0)),
    st.tuples(st.just("bash"), st.sampled_from(["ls", "make", "pytest"]), st.integers(1, 80)),
    st.tuples(st.just("agent"), st.sampled_from(["audit", "search"]), st.integers(5, 40)),
    st.tuples(st.just("unchanged"), st.sampled_from(FILES), st.integers(0, 2)),
    st.tuples(st.just("clear"), st.integers(0, 40), st.just(0)),
    st.tuples(st.sampled_from(["page.evict", "page.pin", "page.unpin", "page.restore", "session.compact"]),
              st.integers(0, 60), st.just(0)),
    st.tuples(st.sampled_from(["memory_fault", "memory_release", "summarize"]), st.integers(0, 60), st.just(0)),
    st.tuples(st.just("collapse"), st.integers(1, 10), st.integers(0, 3)),
)
HANDLE_ID = re.compile(r'memory_fault with "(p[0-9a-f]{8})"')
SUMMARY_IDS = re.compile(r"^\[Summary of turns \d+-\d+, collapsed by pichay; pages ([^\]]*) can be restored")


def apply(conv: Conversation, eng, act) -> None:
    kind, arg, n = act
    s = next(iter(eng.sessions.values()), None)
    ids = [p for p in s.order if s.pages[p].turn > 0 and s.pages[p].kind is Kind.TOOL_RESULT] if s else []
    if kind == "read":
        conv.read(arg, lines=n)
    elif kind == "edit":
        conv.edit(arg)
    elif kind == "bash":
        conv.bash(arg, lines=n)
    elif kind == "agent":
        conv.call("Agent", {"description": arg, "prompt": f"{arg} the project"},
                  [{"type": "text", "text": f"REPORT {arg}: " + "finding " * n * 4},
                   {"type": "text", "text": "agentId: a1 (for resuming)"}])
    elif kind == "unchanged":
        conv.call("Read", {"file_path": FILES[n % len(FILES)]}, NOTICES[n])
    elif kind == "clear":
        results = [b for m in conv.messages[:-2] if isinstance(m["content"], list)
                   for b in m["content"] if b.get("type") == "tool_result"]
        if results:
            results[arg % len(results)]["content"] = "[Old tool result content cleared]"
    elif s is None:
        return
    elif kind == "collapse":
        try:
            eng.command("session.collapse", session=s.id, first=arg, last=arg + n, summary="summary")
        except CommandError:
            pass
    elif kind == "summarize":                    # <memory_cleanup> summarize: ID "text" from the model
        if ids:
            eng.apply_cleanup(s.id, [CleanupOp("summarize", [ids[arg % len(ids)]], "what it said, briefly", None)])
    elif kind in ("memory_fault", "memory_release"):
        if ids:
            eng.answer_phantom_calls(s.id, [{"id": f"ph{arg}", "name": kind,
                                             "input": {"paths": [ids[arg % len(ids)]]}}])
    else:
        try:
            if kind == "session.compact":
                eng.command(kind, session=s.id)
            elif ids:
                eng.command(kind, session=s.id, page=ids[arg % len(ids)])
        except CommandError:
            pass


def handle_ids(outbound: dict) -> set[str]:
    """Page ids named in the handles and collapse summaries of an outbound body (not the pressure note)."""
    out: set[str] = set()
    for m in outbound["messages"]:
        for b in m["content"] if isinstance(m["content"], list) else []:
            text = result_text(b.get("content")) if b.get("type") == "tool_result" else b.get("text", "")
            if b.get("type") == "tool_result" and text.startswith("["):
                out.update(HANDLE_ID.findall(text))
            m2 = SUMMARY_IDS.match(text) if b.get("type") == "text" else None
            if m2 and m2.group(1) != "none":
                out.update(x.strip() for x in m2.group(1).split(","))
    return out


class Originals:
    """What the client first sent for every block, by page id (client clears later rewrite tool results in place)."""

    def __init__(self) -> None:
        self.results: dict[str, object] = {}      # tool_use_id -> first content seen
        self.reads: dict[str, list[str]] = {}     # path -> full contents read so far

    def observe(self, conv: Conversation) -> None:
        uses = {b["id"]: b for m in conv.messages if m["role"] == "assistant" for b in m["content"]
                if b.get("type") == "tool_use"}
        for m in conv.messages:
            for b in m["content"] if isinstance(m["content"], list) else []:
                if b.get("type") == "tool_result" and b["tool_use_id"] not in self.results:
                    self.results[b["tool_use_id"]] = b["content"]
                    use = uses[b["tool_use_id"]]
                    if use["name"] == "Read" and not is_unchanged_notice(b["content"]):
                        self.reads.setdefault(use["input"]["file_path"], []).append(b["content"])

    def acceptable(self, s, page, conv: Conversation) -> list:
        if page.kind is Kind.TOOL_RESULT:
            first = self.results[page.tool_use_id]
            # a notice page stands for the earlier read it refers to: either is its original content
            return [first] + (self.reads.get(page.address, []) if is_unchanged_notice(first) else [])
        blk = conv.messages[page.msg_index]["content"][page.block_index]
        return [block_text(blk)]


def check_reachable(eng, sid: str, outbound: dict, orig: Originals, conv: Conversation) -> None:
    s = eng.sessions[sid]
    for pid in handle_ids(outbound):
        pages = resolve(s, pid, want_out=True)
        assert pages and pages[0].id == pid, pid
        page = pages[0]
        block = eng.store.get(page.content_hash)
        assert block is not None, f"{pid} ({page.state.value}, {page.tool}) is named in a handle but not held"
        got = block.get("content") if block.get("type", "tool_result") == "tool_result" else block_text(block)
        assert got in orig.acceptable(s, page, conv), pid


@settings(max_examples=int(__import__("os").environ.get("I9_EXAMPLES", "50")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=1, max_size=28), st.integers(1, 4), st.sampled_from([0, 300, 500]),
       st.booleans())
# found by this test: a pin on a page folded into a collapse stranded it (memory_fault: "not evicted (pinned)")
@example(actions=[("read", "/p/f0.py", 5), ("read", "/p/f0.py", 5), ("collapse", 1, 1), ("page.pin", 0, 0)],
         tau=1, min_size=0, cooperative=False)
@example(actions=[("read", "/p/f0.py", 5), ("read", "/p/f0.py", 5), ("collapse", 1, 1), ("page.restore", 0, 0)],
         tau=1, min_size=0, cooperative=False)
# and the same for a page the model released before the collapse (it keeps the state released inside the span)
@example(actions=[("edit", "/p/f0.py", 0), ("edit", "/p/f0.py", 0), ("memory_release", 0, 0), ("collapse", 1, 1),
                  ("page.pin", 0, 0)], tau=1, min_size=300, cooperative=False)
@example(actions=[("edit", "/p/f0.py", 0), ("edit", "/p/f0.py", 0), ("memory_release", 0, 0), ("collapse", 2, 0),
                  ("memory_fault", 0, 0)], tau=1, min_size=300, cooperative=False)
def test_every_page_named_in_a_handle_comes_back_through_memory_fault(actions, tau, min_size, cooperative):
    eng, conv, orig = engine(age_threshold=tau, min_size=min_size, cooperative=cooperative), Conversation(), \
        Originals()
    res = None
    for act in actions:
        apply(conv, eng, act)
        if len(conv.messages) < 2:
            continue
        orig.observe(conv)
        res = eng.handle_request(conv.body(), {})
        check_reachable(eng, res.session_id, res.outbound, orig, conv)
        if handle_ids(res.outbound):        # memory_fault is offered whenever a handle names it
            assert "memory_fault" in [t["name"] for t in res.outbound["tools"]]
    if res is None:
        return
    s = eng.sessions[res.session_id]
    for pid in sorted(handle_ids(res.outbound)):          # and memory_fault itself returns it
        got = eng.answer_phantom_calls(s.id, [{"id": "t", "name": "memory_fault", "input": {"paths": [pid]}}])[0]
        assert not got.get("is_error"), got
        assert got["content"] in orig.acceptable(s, s.pages[pid], conv), pid
