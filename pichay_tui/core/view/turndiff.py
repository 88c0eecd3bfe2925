"""Per-request turn records (client view vs model view, predicted and observed cache cost) and page content lookup.

`TurnLog` is built from events only, so a replay that re-emits events gets the same turn diffs. `PageContent` shows a
page from the latest client body and outbound body of its session; `BodyTap` is the live one (it keeps those bodies
from the engine's request hook), the replay screen has its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .. import events as ev
from ..events import given
from ..model.blocks import display_text


@dataclass(slots=True)
class TurnRecord:
    session: str
    request_no: int = 0
    turn: int = 0
    tokens_in: int = 0            # what the client sent (tokens)
    tokens_out: int = 0           # what we sent upstream
    changed: bool = False
    added: list[str] = field(default_factory=list)
    evicted: list[tuple[str, str]] = field(default_factory=list)   # (page, reason)
    restored: list[tuple[str, str]] = field(default_factory=list)
    pinned: list[tuple[str, str]] = field(default_factory=list)
    unpinned: list[str] = field(default_factory=list)
    faulted: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    zone: str = ""
    handles: int = 0              # pages shown to the model as handles after this request
    predicted_invalidated: int | None = None
    tokens_saved: int = 0
    observed: dict[str, int] | None = None

    @property
    def saved(self) -> int:
        return self.tokens_in - self.tokens_out

    @property
    def page_changes(self) -> int:
        return len(self.evicted) + len(self.restored)


class TurnLog:
    """Groups each session's events into one record per client request (closed by request_paged)."""

    def __init__(self, keep: int = 2000) -> None:
        self.records: dict[str, list[TurnRecord]] = {}
        self._open: dict[str, TurnRecord] = {}
        self._out: dict[str, set[str]] = {}
        self.keep = keep

    def feed(self, e: ev.Event) -> None:
        if not e.session:
            return
        sid, p = e.session, e.payload
        if isinstance(p, ev.ResponseCompleted):
            recs = self.records.get(sid)
            if recs:
                recs[-1].observed = {k: int(v) for k, v in (given(p.usage) or {}).items() if isinstance(v, int)}
            return
        if isinstance(p, ev.CommandQueued):
            return
        r = self._open.setdefault(sid, TurnRecord(sid))
        out = self._out.setdefault(sid, set())
        match p:
            case ev.PageAdded(page=page):
                r.added.append(given(page))
            case ev.PageEvicted(page=page, reason=reason):
                r.evicted.append((given(page), given(reason, "")))
                out.add(given(page))
            case ev.PageRestored(page=page, reason=reason):
                r.restored.append((given(page), given(reason, "")))
                out.discard(given(page))
            case ev.PagePinned(page=page, reason=reason):
                r.pinned.append((given(page), given(reason, "")))
            case ev.PageUnpinned(page=page):
                r.unpinned.append(given(page))
            case ev.PageFaulted(page=page):
                r.faulted.append(given(page))
            case ev.PageClearedByClient(page=page):
                r.cleared.append(given(page))
                out.discard(given(page))
            case ev.ZoneChanged(new=new):
                r.zone = given(new, "")
            case ev.CommandApplied(command=command, ok=ok, error=error):
                r.commands.append(f"{given(command)} {'ok' if ok else 'failed: ' + str(given(error))}")
            case ev.SweepApplied() | ev.CollapseApplied() | ev.ToolsStubbed():
                r.predicted_invalidated = given(p.predicted_invalidated_tokens)
                r.tokens_saved = given(p.tokens_saved, 0)
            case ev.RequestPaged():
                r.request_no, r.turn = given(p.request_no, 0), e.turn
                r.tokens_in, r.tokens_out = given(p.tokens_in, 0), given(p.tokens_out, 0)
                r.changed = given(p.changed, False)
                r.handles = len(out)
                recs = self.records.setdefault(sid, [])
                recs.append(self._open.pop(sid))
                if len(recs) > self.keep:
                    del recs[0]

    def for_session(self, sid: str | None) -> list[TurnRecord]:
        return self.records.get(sid or "", [])


class PageContent:
    """A page's original content and what the model sees now, from the newest (client body, outbound body) of its
    session; where those bodies and the engine come from is the caller's (live: the request hook; replay: frames)."""

    def __init__(self, engine: Callable[[], Any], bodies: Callable[[], dict[str, tuple[dict, dict]]]) -> None:
        self._engine, self._bodies = engine, bodies

    @property
    def engine(self) -> Any:
        return self._engine()

    @property
    def last(self) -> dict[str, tuple[dict, dict]]:
        """Session id -> (client body, outbound body) of its newest request."""
        return self._bodies()

    def _at(self, body: dict, page: Any) -> Any:
        if page.msg_index < 0:
            kind = page.kind.value
            items = body.get("tools") or [] if kind == "tool_def" else body.get("system") or []
            if isinstance(items, str):
                return items
            for it in items:
                if (kind == "tool_def" and it.get("name") == page.address) or kind == "system":
                    if kind != "system" or page.address == f"system[{items.index(it)}]":
                        return it
            return None
        msgs = body.get("messages") or []
        if page.msg_index >= len(msgs):
            return None
        content = msgs[page.msg_index].get("content")
        if isinstance(content, str):
            return content
        return content[page.block_index] if 0 <= page.block_index < len(content or []) else None

    def content(self, sid: str, pid: str) -> tuple[str, str]:
        """(original content, what the model sees now) for a page, from the tap, the store and the handle."""
        from ..model.handles import handle_text

        s = self.engine.sessions.get(sid)
        page = s.pages.get(pid) if s else None
        if page is None:
            return "", ""
        body, outbound = self.last.get(sid, ({}, {}))
        stored = self.engine.store.get(page.content_hash) if page.state.is_out else None
        original = display_text(stored) if stored is not None else display_text(self._at(body, page))
        if page.state.is_out:
            now = display_text(self._at(outbound, page)) or handle_text(page)
        else:
            now = display_text(self._at(outbound, page)) if outbound else original
        if not original:
            original = "(content not held: it arrived before the TUI attached or was cleared by the client)"
        return original, now


class BodyTap(PageContent):
    """Live page content: keeps the newest (client body, outbound body) per session through `engine.on_request`."""

    def __init__(self, engine: Any) -> None:
        self.bodies: dict[str, tuple[dict, dict]] = {}
        super().__init__(lambda: engine, lambda: self.bodies)
        self.unsubscribe = engine.on_request(self._keep)

    def _keep(self, body: dict, result: Any) -> None:
        if result.session_id:
            self.bodies[result.session_id] = (body, result.outbound)
