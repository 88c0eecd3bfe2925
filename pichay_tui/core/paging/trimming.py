"""Lossless trimming: stub tool definitions the session has not used, and deduplicate repeated system reminders.

Stubbing changes the cached tools prefix, so it is decided once per session (never on its first request) and only
when the projected savings outweigh one full-prefix cache rewrite; a stubbed tool is restored the moment the model
calls it. Nothing is removed that the model cannot get back: stubs name the tool, reminders point at the earlier copy.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.blocks import content_hash
from ..model.pages import PageState

if TYPE_CHECKING:
    from ..session.session import Session

CACHE_WRITE, CACHE_READ = 1.25, 0.10   # price multipliers of cache writes and reads relative to base input
MIN_REMINDER_BYTES = 500


def stub(tool: dict[str, Any]) -> dict[str, Any]:
    """Name + first line of the description + a permissive empty schema (~80 B instead of ~3.5 KB)."""
    first = (tool.get("description") or "").strip().split("\n", 1)[0]
    first = first.split(". ", 1)[0][:100].rstrip(".")
    return {"name": tool.get("name"), "description": first + ". [schema trimmed; call it to restore]",
            "input_schema": {"type": "object", "additionalProperties": True}}


def used_tools(s: "Session") -> set[str]:
    return {p.tool for p in s.pages.values() if p.kind.value == "tool_use" and p.tool}


def decide_stubbing(s: "Session", tools: list[dict], counter, expected_turns: int = 30) -> bool:
    """Stub only if tokens saved over the expected remaining turns beat one rewrite of the whole prefix."""
    if s.request_no < 2 or s.trim.decided:
        return s.trim.on
    used = used_tools(s)
    saved = sum(counter.count(str(t)) - counter.count(str(stub(t))) for t in tools if t.get("name") not in used)
    prefix = s.tokens.header_tokens + s.tokens.fen.total
    s.trim.decided = True
    # keeping costs `saved` cache-read tokens every request; stubbing costs one rewrite of the whole prefix
    s.trim.on = saved > 0 and saved * CACHE_READ * expected_turns > prefix * (CACHE_WRITE - CACHE_READ)
    s.trim.estimate = {"tokens_saved_per_request": saved, "prefix_tokens": prefix, "expected_turns": expected_turns}
    return s.trim.on


def trim_tools(s: "Session", tools: list[dict]) -> tuple[list[dict], list[str]]:
    """The tools list with unused definitions stubbed, and the names stubbed."""
    used = used_tools(s)
    out, stubbed = [], []
    for t in tools:
        if t.get("name") in used or t.get("name") in ("memory_release", "memory_fault"):
            out.append(t)
        else:
            out.append(stub(t))
            stubbed.append(t.get("name"))
    return out, stubbed


def _pointer(fm: int) -> dict[str, str]:
    return {"type": "text", "text": f"<system-reminder>[Same reminder as in message {fm + 1}; "
                                    f"repeated copy omitted by pichay]</system-reminder>"}


def repoint_reminders(s: "Session", start: int, end: int, counter) -> None:
    """A collapse of messages start..end-1 took the first copy of a reminder out of view: the first repeat after
    the span shows the full text again and later repeats point at it (a pointer must name something visible)."""
    inside = lambda mi: start <= mi < end      # noqa: E731
    for h, (fm, fb) in list(s.trim.reminder_first.items()):
        if not inside(fm):
            continue
        dups = sorted(k for k, v in s.trim.reminder_dups.items() if v == (fm, fb) and not inside(k[0]))
        if not dups:
            continue
        new = dups[0]
        s.trim.reminder_first[h] = new
        del s.trim.reminder_dups[new]
        for k in dups[1:]:
            s.trim.reminder_dups[k] = new
        for k in dups:
            ids = s.index.msg_pages[k[0]] if k[0] < len(s.index.msg_pages) else []
            page = s.pages.get(ids[k[1]]) if k[1] < len(ids) else None
            if page is None or page.id not in s.out.overrides:
                continue
            if k == new:                          # the full text again
                del s.out.overrides[page.id]
                s.set_state(page, PageState.RESIDENT)
                s.set_sub(page, False)
                value = page.tokens
            else:
                s.out.overrides[page.id] = _pointer(new[0])
                s.set_sub(page, True)
                value = counter.count(s.out.overrides[page.id]["text"])
            if page.pos >= 0:
                s.tokens.fen.set(page.pos, value)


def dedup_reminders(s: "Session", messages: list[dict]) -> dict[tuple[int, int], dict]:
    """Later exact copies of long <system-reminder> text blocks → a pointer to the first copy (stable per block)."""
    seen: dict[str, tuple[int, int]] = s.trim.reminder_first
    out: dict[tuple[int, int], dict] = {}
    start = s.trim.reminder_scanned
    for mi in range(start, len(messages)):
        content = messages[mi].get("content")
        if messages[mi].get("role") != "user" or not isinstance(content, list):
            continue
        for bi, b in enumerate(content):
            text = b.get("text") if b.get("type") == "text" else None
            if not text or "<system-reminder>" not in text or len(text) < MIN_REMINDER_BYTES:
                continue
            h = content_hash(text)
            if h not in seen:
                seen[h] = (mi, bi)
            elif seen[h] != (mi, bi):
                s.trim.reminder_dups[(mi, bi)] = seen[h]
    s.trim.reminder_scanned = len(messages)
    for (mi, bi), (fm, fb) in s.trim.reminder_dups.items():
        if mi < len(messages):
            out[(mi, bi)] = _pointer(fm)
    return out
