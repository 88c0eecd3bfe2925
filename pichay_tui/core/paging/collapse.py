"""L3 collapse: a range of user turns replaced in the outbound view by one summary, keeping the request valid.

Span for turns N..M: the user message of turn N keeps its tool_result blocks (they answer the previous assistant
message) as collapsed stubs plus the summary text; every message after it up to, but excluding, the last assistant
message of turn M is dropped; that assistant message stays verbatim because turn M+1's results answer it. Roles still
alternate and no tool_use/tool_result pair is split.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..model.blocks import short_id
from ..errors import CommandError
from ..model.pages import PageState
from .trimming import repoint_reminders

if TYPE_CHECKING:
    from ..session.session import Session


def span(s: "Session", first: int, last: int) -> tuple[int, int]:
    """(index of user message N, index of the kept assistant message of turn M) in the client's messages."""
    if first < 1 or last < first:
        raise CommandError(f"bad turn range {first}-{last}", 400)
    if last >= s.turn:
        raise CommandError(f"turn {last} is not collapsible: the last user turn ({s.turn}) and later stay as they are")
    turns = s.index.msg_turn
    try:
        start = turns.index(first)
        nxt = turns.index(last + 1)
    except ValueError:
        raise CommandError(f"turns {first}-{last} are not in the current history", 404) from None
    end = nxt - 1
    if end <= start:
        raise CommandError(f"turns {first}-{last} contain no assistant reply to collapse")
    roles = {s.pages[pid].role for pid in s.index.msg_pages[end]} if s.index.msg_pages[end] else set()
    if roles and roles != {"assistant"}:
        raise CommandError(f"turn {last} does not end with an assistant message; cannot collapse cleanly")
    for c in s.collapses:
        if not (end < c["start"] or start > c["end"]):
            raise CommandError(f"turns {first}-{last} overlap the collapsed turns {c['first']}-{c['last']}")
    return start, end


def validate(s: "Session", args: dict[str, Any]) -> None:
    try:
        first, last = int(args.get("first")), int(args.get("last"))
    except (TypeError, ValueError):
        raise CommandError("session.collapse needs integer 'first' and 'last' turns", 400) from None
    if not str(args.get("summary") or "").strip():
        raise CommandError("session.collapse needs a non-empty 'summary'", 400)
    span(s, first, last)


def apply(pager, args: dict[str, Any]) -> Any:
    """Collapse turns FIRST..LAST now: the pages go COLLAPSED and the span joins this request's sweep batch."""
    s = pager.s
    first, last = int(args["first"]), int(args["last"])
    start, end = span(s, first, last)
    gone = [pid for mi in range(start, end) for pid in s.index.msg_pages[mi]]
    first_pos = min((s.pages[p].pos for p in gone if s.pages[p].pos >= 0), default=0)
    predicted = s.tokens.fen.from_(first_pos)
    held = []                                   # pages whose content the store holds: the summary names them all
    for pid in gone:
        page = s.pages[pid]
        cleared = page.state is PageState.CLEARED
        if not page.state.is_out or page.state is PageState.EVICTED:
            if page.kind.value == "tool_result" or not cleared:
                if page.state is not PageState.EVICTED:       # evicted pages were stored when evicted
                    pager.keep_original(page, pager.messages)
                s.set_state(page, PageState.COLLAPSED)
                page.pin_reason = None
        if not cleared and pager.store.has(page.content_hash):
            held.append(pid)
            pager.serve_notices_of(page, pager.messages)
        if page.pos >= 0:
            s.tokens.fen.set(page.pos, 0)
    repoint_reminders(s, start, end, pager.counter)
    summary = str(args["summary"]).strip()
    text = f"[Summary of turns {first}-{last}, collapsed by pichay; pages {', '.join(held) or 'none'} " \
           f"can be restored with memory_fault]\n{summary}"
    s.tokens.fen.set(s.pages[gone[0]].pos, pager.counter.count(text)) if gone else None
    entry = {"first": first, "last": last, "start": start, "end": end, "summary": summary, "text": text,
             "pages": gone, "request": s.request_no, "source": args.get("source", "operator")}
    s.collapses.append(entry)
    s.out.out_cache.clear()
    s.emit(ev.CollapseApplied(changed_pages=gone, first_changed_index=first_pos, collapse=[first, last],
                              predicted_invalidated_tokens=predicted, tokens_saved=0))
    prev = s.sweeps[-1] if s.sweeps else None
    if prev is not None and prev["request"] == s.request_no:      # two collapses in one request: one batch
        prev["pages"] += gone
        prev["collapse"] = prev.get("collapse", []) + [first, last]
        if first_pos < prev["first_changed_pos"]:
            s.stats.predicted_invalidated_tokens += predicted - prev["predicted_invalidated_tokens"]
            prev.update(first_changed_pos=first_pos, predicted_invalidated_tokens=predicted)
    else:
        s.sweeps.append({"request": s.request_no, "turn": s.turn, "pages": gone, "first_changed_pos": first_pos,
                         "predicted_invalidated_tokens": predicted, "tokens_saved": 0, "observed": None,
                         "collapse": [first, last]})
        s.stats.sweeps += 1
        s.stats.predicted_invalidated_tokens += predicted
    return {"first": first, "last": last, "pages": len(gone)}


def _stub(c: dict[str, Any], pid: str) -> str:
    if pid in c["text"].split("\n", 1)[0]:
        return f"[Collapsed into the summary of turns {c['first']}-{c['last']} · page {pid}; " \
               f"call memory_fault with \"{pid}\" to restore it]"
    return f"[Collapsed into the summary of turns {c['first']}-{c['last']}]"


def apply_to_outbound(s: "Session", client_messages: list[dict], msgs: list[dict]) -> list[dict]:
    """Replace every collapsed span (from the end backwards, so indices stay valid)."""
    for c in sorted(s.collapses, key=lambda c: c["start"], reverse=True):
        start, end = c["start"], c["end"]
        if end >= len(msgs):
            continue
        head = client_messages[start].get("content")
        stubs = [{"type": "tool_result", "tool_use_id": b.get("tool_use_id"),
                  "content": _stub(c, short_id("tr:" + str(b.get("tool_use_id"))))}
                 for b in (head if isinstance(head, list) else []) if b.get("type") == "tool_result"]
        msgs[start] = {"role": "user", "content": stubs + [{"type": "text", "text": c["text"]}]}
        del msgs[start + 1:end]
    return msgs
