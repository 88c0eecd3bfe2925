"""Session state as plain dicts (and back), so a persistent store can checkpoint and a restart can resume.

Only what cannot be recomputed is dumped; substitution maps, the token tree and counters are rebuilt from pages.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any

from ..model.blocks import CLEARED_MARKERS
from ..model.fenwick import Fenwick
from ..model.handles import handle_text
from ..model.pages import Kind, Page, PageState, PinReason
from .session import Fault, Session

_PAGE_FIELDS = [f.name for f in fields(Page)]


def page_to_dict(p: Page) -> dict[str, Any]:
    d = {name: getattr(p, name) for name in _PAGE_FIELDS}
    d["kind"], d["state"] = p.kind.value, p.state.value
    d["pin_reason"] = p.pin_reason.value if p.pin_reason else None
    return d


def page_from_dict(d: dict[str, Any]) -> Page:
    d = dict(d)
    d["kind"], d["state"] = Kind(d["kind"]), PageState(d["state"])
    d["pin_reason"] = PinReason(d["pin_reason"]) if d.get("pin_reason") else None
    return Page(**{k: v for k, v in d.items() if k in _PAGE_FIELDS})


def dump_meta(s: Session) -> dict[str, Any]:
    """Session-level state (not pages, faults or sweeps, which a store keeps as rows), one flat dict."""
    return {"id": s.id, **s.snapshot(), **s.index.snapshot(s.pages), **s.out.snapshot(s.pages),
            **s.usage.snapshot(), **s.trim.snapshot(), **s.tokens.snapshot()}


def load_session(meta: dict[str, Any], pages: list[dict[str, Any]], faults: list[dict[str, Any]],
                 sweeps: list[dict[str, Any]], config, counter, emit, store) -> Session:
    """Rebuild a session from a checkpoint; derived structures are recomputed, not trusted."""
    s = Session(meta["id"], meta["client"], config, emit, parent=meta.get("parent"))
    s.restore(meta)
    for group in (s.index, s.usage, s.trim, s.tokens):
        group.restore(meta)
    s.out.restore(meta, store)
    s.faults = [Fault(**f) for f in faults]
    s.sweeps = list(sweeps)
    s.pages = {d["id"]: page_from_dict(d) for d in pages}
    _rebuild(s, counter)
    return s


def _rebuild(s: Session, counter) -> None:
    s.index.msg_pages = msg_pages = [[] for _ in s.index.msg_fp]
    live = sorted((p for p in s.pages.values() if p.msg_index >= 0 and p.epoch == s.epoch), key=lambda p: p.pos)
    s.tokens.fen = Fenwick()
    for p in live:
        while len(s.tokens.fen) < p.pos:
            s.tokens.fen.append(0)
        if len(s.tokens.fen) == p.pos:
            s.tokens.fen.append(0)
        if p.state is PageState.CLEARED:
            value = counter.count(CLEARED_MARKERS[0])      # cleared in place by the client
        elif p.state is PageState.STUBBED and p.id in s.out.overrides:
            value = counter.count(s.out.overrides[p.id].get("text", ""))
        elif p.state.is_out:
            value = counter.count(handle_text(p))
        else:
            value = p.tokens
        s.tokens.fen.set(p.pos, value)
        if p.msg_index < len(msg_pages):
            msg_pages[p.msg_index].append(p.id)
        if (p.state.is_out and p.state is not PageState.CLEARED) or p.id in s.out.overrides:
            s.out.subs.setdefault(p.msg_index, {})[p.block_index] = p
    s.tokens.resident_tokens = s.tokens.evicted_tokens = s.tokens.cleared_tokens = 0
    for p in s.pages.values():
        if p.kind in (Kind.SYSTEM, Kind.TOOL_DEF):
            continue
        if p.state is PageState.CLEARED:
            s.tokens.cleared_tokens += p.tokens
        elif p.state.is_out:
            s.tokens.evicted_tokens += p.tokens
        else:
            s.tokens.resident_tokens += p.tokens
            if p.kind is Kind.TOOL_RESULT:
                s.resident_results[p.id] = p
