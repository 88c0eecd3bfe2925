"""Which stored blocks an engine step is about to read, so the proxy can have them read ahead off the event loop.

Why: the store holds evicted content; reading a 50 MB block back from SQLite and parsing it costs ~150 ms, which on
the event loop stalls every other session. These are guesses made before the step (cheap, no store access): a block
they miss is still read by the step itself, only on the loop; one they name needlessly costs a worker thread's time.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..cooperative.phantom import resolve
from ..ingest.messages import unchanged_notice
from ..model.addressing import address_key
from ..model.unchanged import NOTICE_MAX_CHARS

if TYPE_CHECKING:
    from ..model.pages import Page
    from ..session.session import Session


def _short(content: Any) -> bool:
    """Short enough to be a notice (checked before the notice test, which joins a result's text)."""
    if isinstance(content, str):
        return len(content) <= NOTICE_MAX_CHARS
    if isinstance(content, list):
        return sum(len(b.get("text") or "") if isinstance(b, dict) else 0 for b in content) <= NOTICE_MAX_CHARS
    return False


def for_request(s: "Session | None", messages: list[Any]) -> list["Page"]:
    """The evicted reads that "unchanged" notices among the new messages stand for (the pager serves
    the stored content in a notice's place, pager._serve_unchanged)."""
    if s is None or not isinstance(messages, list):
        return []
    uses: dict[str, tuple[Any, Any]] = {}
    out: list[Page] = []
    for m in messages[s.index.message_count:]:
        content = m.get("content") if isinstance(m, dict) else None
        if not isinstance(content, list):
            continue
        for blk in content:
            if not isinstance(blk, dict):
                continue
            if blk.get("type") == "tool_use":
                uses[str(blk.get("id"))] = (blk.get("name"), blk.get("input"))
            elif blk.get("type") == "tool_result" and _short(blk.get("content")) and unchanged_notice(blk):
                tid = str(blk.get("tool_use_id"))
                name, args = uses.get(tid) or s.index.tool_uses.get(tid) or (None, None)
                key = address_key(name, args if isinstance(args, dict) else {}, s.config.tool_classes)
                kh = s.keys.get(key) if key else None
                prev = s.pages.get(kh.latest) if kh is not None and kh.latest else None
                if prev is not None and prev.state.is_out:
                    out.append(prev)
    return out


def for_phantom(s: "Session | None", calls: list[dict[str, Any]]) -> list["Page"]:
    """The pages the model's memory_fault calls name (answered from the store, phantom.answer_phantom)."""
    if s is None:
        return []
    out: list[Page] = []
    for call in calls:
        if call.get("name") != "memory_fault":
            continue
        entries = (call.get("input") or {}).get("paths") or []
        for entry in [entries] if isinstance(entries, str) else entries:
            out += resolve(s, str(entry), want_out=True)
    return out


def served_bytes(s: "Session | None") -> int:
    """Bytes of stored content the session's outbound carries in place of the client's (served notices), which
    the outbound's serialization re-encodes: the proxy encodes off the loop when this is large."""
    if s is None:
        return 0
    return sum(s.pages[pid].bytes for pid in s.out.overrides if pid in s.pages)
