"""Whether an operator command applies to a page now, and if not, why: what keys, the palette and the footer ask.

The UI used to answer this itself with weaker copies of the validators; now it asks here (through `Engine.check`).
The first checks give the operator's wording (naming the page and what to do instead); then the command's own
validator runs, so anything the engine would refuse (the last turn, error results, collapsed pages) is refused up
front with the engine's reason.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import CommandError
from ..model.pages import Kind, Page, PageState
from .registry import COMMANDS, pending_by_page

if TYPE_CHECKING:
    from ..session.session import Session

PENDING_NAMES = {"page.evict": "an eviction", "page.pin": "a pin", "page.unpin": "an unpin",
                 "page.restore": "a restore", "session.compact": "a compaction", "session.collapse": "a collapse"}


def needs_page(command: str) -> bool:
    spec = COMMANDS.get(command)
    return spec is not None and "page" in spec.args


def why_not(s: "Session | None", command: str, page: Page | None, pending: str | None = None) -> str:
    """"" when `command` applies to `page` (None for session commands) of session `s`, else the reason.

    `pending` is the page's queued command as the page table shows it; computed when not given.
    """
    if needs_page(command):
        if page is None:
            return "no page selected"
        if pending is None:
            pending = pending_by_page(s).get(page.id, "") if s is not None else ""
        text = _operator_refusal(command, page, pending)
        if text:
            return text
    spec = COMMANDS.get(command)
    # a command with more arguments than session and page (collapse: turns, summary) is validated when issued
    if spec is not None and s is not None and set(spec.args) <= {"session", "page"}:
        try:
            spec.validate(s, {"page": page.id} if page is not None else {})
        except CommandError as e:
            return str(e)
    return ""


def _operator_refusal(command: str, p: Page, pending: str) -> str:
    """The page-table reasons a page command does not apply, in the operator's words ("" if none)."""
    state = "cleared by the client" if p.state is PageState.CLEARED else p.state.value
    pid, kind, pin = p.id, p.kind.value.replace("_", " "), p.pin_reason.value if p.pin_reason else ""
    result = p.kind is Kind.TOOL_RESULT
    queued = f"{pid}: {PENDING_NAMES.get(pending, pending)} already queued — it applies at the next request"
    if command == "page.evict":
        if result and p.state is PageState.RESIDENT and pending != "page.evict":
            return ""
        if pending == "page.evict":
            return queued
        if not result:
            return f"{pid}: a {kind} block — only tool results are paged out"
        if p.state.is_out:
            return f"{pid}: already {state}" + ("" if p.state is PageState.CLEARED else " — restore it instead")
        if pin:
            return f"{pid}: pinned ({pin}) — unpin it first"
        return "select a resident, unpinned tool result"
    if command == "page.pin":
        if result and not pin and p.state is not PageState.CLEARED and pending != "page.pin":
            return ""
        if pending == "page.pin":
            return queued
        if pin:
            return f"{pid}: already pinned ({pin})"
        if not result:
            return f"{pid}: a {kind} block — only tool results are paged, so a pin changes nothing"
        if p.state is PageState.CLEARED:
            return f"{pid}: cleared by the client — there is nothing resident to pin"
        return "select an unpinned tool result"
    if command == "page.unpin":
        return "" if pin or pending == "page.pin" else f"{pid}: not pinned — nothing to unpin"
    if command == "page.restore":
        if p.state.is_out and p.state is not PageState.CLEARED:
            return ""
        if p.state is PageState.CLEARED:
            return f"{pid}: cleared by the client — its content is not held"
        return f"{pid}: {state} — nothing to restore" + (" (unpin it to let it be paged)" if pin else "")
    return ""
