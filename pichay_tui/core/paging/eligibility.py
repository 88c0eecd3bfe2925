"""Which pages the sweep may evict: one predicate for the pager, the pending marks and the UI.

Kept apart from the pager so that readers that only show what *would* happen (the page table's pending marks) apply
exactly the rules the sweep applies, instead of a weaker copy.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..model.pages import Page, PageState
from ..model.tool_classes import KEEP, tool_class

if TYPE_CHECKING:
    from ..session.session import Session


def evictable(s: "Session", p: Page) -> bool:
    """A resident, non-error block from before the current turn, of this epoch and not of a KEEP-class tool.

    A pinned page's state is PINNED, so the state test excludes pins; whether the sweep would pin the page for an
    earlier fault instead is `due_for_fault_pin`. Callers pass tool results (`s.resident_results`).
    """
    return (p.state is PageState.RESIDENT and not p.is_error and p.turn < s.turn and p.msg_index >= 0
            and p.epoch == s.epoch and tool_class(p.tool, s.config.tool_classes) != KEEP)


def due_for_fault_pin(s: "Session", p: Page) -> bool:
    """The page's key faulted on this very content before, so the sweep pins it instead of evicting it."""
    kh = s.keys.get(p.key) if p.key else None
    return kh is not None and kh.pin_hash == p.content_hash


def would_compact(s: "Session", p: Page) -> bool:
    """A queued session.compact is expected to evict this page: evictable, at least min_size bytes, not due a pin."""
    return evictable(s, p) and p.bytes >= s.config.min_size and not due_for_fault_pin(s, p)
