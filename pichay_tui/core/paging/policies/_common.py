"""Helpers shared by the policy lab: per-session access history and fault-pin hand-off.

Policies are engine-wide objects (one instance serves every session), so anything they remember is keyed by session
id. They read the session through `ctx.session` and never change page state themselves — except for forgetting a
fault-pin hash (see `release_fault_pin`), which is how a policy that manages pins itself tells the sweep to evict.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ...model.addressing import path_of
from ...model.pages import Kind, Page
from ..policy import PolicyContext

# tools whose calls touch a file without reading it back in full: count as accesses of that path
TOUCHING_TOOLS = ("Read", "NotebookRead", "Edit", "MultiEdit", "Write", "NotebookEdit", "Grep", "Glob", "LS")


@dataclass(slots=True)
class SessionAccess:
    """What one session has touched: last turn per path and per address key, reads per key."""

    cursor: int = 0                                   # how far into session.order pages were scanned
    last_ref: dict[str, int] = field(default_factory=dict)   # path or key -> user turn of the last reference
    reads: dict[str, int] = field(default_factory=dict)      # address key -> results seen for it
    latest: dict[str, str] = field(default_factory=dict)     # address key -> newest result page id


class AccessTracker:
    """Incrementally scans each session's new pages (amortised O(new pages) per sweep)."""

    def __init__(self) -> None:
        self.sessions: dict[str, SessionAccess] = {}

    def update(self, ctx: PolicyContext) -> SessionAccess:
        s = ctx.session
        if s is None:
            return SessionAccess()
        acc = self.sessions.setdefault(s.id, SessionAccess())
        order = s.order
        for pid in order[acc.cursor:]:
            p = s.pages[pid]
            if p.kind is Kind.TOOL_USE:
                name, args = s.index.tool_uses.get(str(p.tool_use_id), (p.tool or "", {}))
                if name in TOUCHING_TOOLS:
                    path = path_of(name, args)
                    if path:
                        acc.last_ref[path] = max(acc.last_ref.get(path, 0), p.turn)
            elif p.kind is Kind.TOOL_RESULT and p.key:
                acc.last_ref[p.key] = max(acc.last_ref.get(p.key, 0), p.turn)
                acc.reads[p.key] = acc.reads.get(p.key, 0) + 1
                acc.latest[p.key] = p.id
        acc.cursor = len(order)
        return acc

    def path(self, ctx: PolicyContext, page: Page) -> str | None:
        s = ctx.session
        if s is None or not page.tool_use_id:
            return None
        name, args = s.index.tool_uses.get(str(page.tool_use_id), (page.tool or "", {}))
        return path_of(name, args)

    def last_access(self, ctx: PolicyContext, acc: SessionAccess, page: Page) -> int:
        """User turn of the page's last access: brought in, restored, or its file touched by a later call."""
        t = max(page.turn, page.restored_at_turn or 0, page.last_access or 0)
        path = self.path(ctx, page)
        if path:
            t = max(t, acc.last_ref.get(path, 0))
        return t

    @staticmethod
    def superseded(acc: SessionAccess, page: Page) -> bool:
        """A newer result for the same address exists: this copy is a stale duplicate (evicting it cannot fault)."""
        return bool(page.key) and acc.latest.get(page.key, page.id) != page.id


def release_fault_pin(ctx: PolicyContext, pages: Iterable[Page]) -> None:
    """Forget the fault-pin hash of these pages' keys so the sweep evicts them instead of pinning them.

    The engine's fault pinning turns "evict a page that faulted before" into a pin; policies that model pins
    themselves (pin decay) or model a peer system that has no pins (the peer policies) call this on their picks.
    """
    s = ctx.session
    if s is None:
        return
    for p in pages:
        kh = s.keys.get(p.key) if p.key else None
        if kh is not None and kh.pin_hash == p.content_hash:
            kh.pin_hash = None


def arg(ctx: PolicyContext, name: str, default: Any) -> Any:
    """A policy knob from PagerConfig.policy_args (CLI --policy-arg NAME=VALUE), coerced to default's type."""
    v = ctx.args.get(name, default)
    if isinstance(default, bool) and isinstance(v, str):
        return v.lower() in ("1", "true", "yes", "on")
    if isinstance(default, (int, float)) and isinstance(v, str):
        return type(default)(float(v))
    if isinstance(default, (tuple, list)) and isinstance(v, str):
        return tuple(x.strip() for x in v.split(",") if x.strip())
    return v


def resident_result_tokens(ctx: PolicyContext) -> int:
    s = ctx.session
    return sum(p.tokens for p in s.resident_results.values()) if s is not None else 0
