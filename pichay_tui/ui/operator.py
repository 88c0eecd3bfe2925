"""Operator actions: the UI's view of the core's named commands (one code path for keys, palette and HTTP).

Each action names a core command; availability depends only on the selected page row, so keys, the palette and
`check_action` agree. No paging logic here: the engine validates and queues, we only describe.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..core.commands.registry import COMMANDS
from ..core.view.model import OUT_STATES, PageRow

COLLAPSE = "session.collapse"


@dataclass(frozen=True, slots=True)
class OperatorAction:
    command: str                      # core command name
    label: str
    needs_page: bool
    when: Callable[[PageRow | None], bool]
    why_not: str


def _result(r: PageRow | None) -> bool:
    return r is not None and r.kind == "tool_result"


ACTIONS: dict[str, OperatorAction] = {a.command: a for a in (
    OperatorAction("page.evict", "Evict page", True,
                   lambda r: _result(r) and r.state in ("resident",) and r.pending != "page.evict",
                   "select a resident, unpinned tool result"),
    OperatorAction("page.pin", "Pin page", True,
                   lambda r: _result(r) and not r.pin_reason and r.state != "cleared-by-client"
                   and r.pending != "page.pin", "select an unpinned tool result"),
    OperatorAction("page.unpin", "Unpin page", True,
                   lambda r: r is not None and (bool(r.pin_reason) or r.pending == "page.pin"),
                   "select a pinned page"),
    OperatorAction("page.restore", "Restore page", True,
                   lambda r: r is not None and r.state in OUT_STATES and r.state != "cleared-by-client",
                   "select an evicted page"),
    OperatorAction("session.compact", "Compact session now", False, lambda r: True, ""),
    OperatorAction(COLLAPSE, "Collapse turn range…", False, lambda r: True, ""),
)}


def available(command: str) -> bool:
    """True when the core knows the command (session.collapse arrives with issue 6)."""
    return command in COMMANDS


def destructive(command: str) -> bool:
    spec = COMMANDS.get(command)
    return bool(spec and spec.destructive) or command == COLLAPSE


def applicable(command: str, row: PageRow | None) -> tuple[bool, str]:
    """(can run now, reason if not) for the selected row."""
    act = ACTIONS[command]
    if not available(command):
        return False, f"{command} is not available in this build of the core"
    if act.needs_page and row is None:
        return False, "no page selected"
    if not act.when(row):
        return False, why_not(command, row) or act.why_not
    return True, ""


def why_not(command: str, r: PageRow | None) -> str:
    """Why a page command does not apply to this row, naming the page and what to do instead."""
    if r is None:
        return ""
    state = "cleared by the client" if r.state == "cleared-by-client" else r.state
    pid, kind = r.id, r.kind.replace("_", " ")
    queued = f"{pid}: {PENDING_NAMES.get(r.pending, r.pending)} already queued — it applies at the next request"
    if command == "page.evict":
        if r.pending == "page.evict":
            return queued
        if r.kind != "tool_result":
            return f"{pid}: a {kind} block — only tool results are paged out"
        if r.state in OUT_STATES:
            return f"{pid}: already {state}" + ("" if r.state == "cleared-by-client" else " — restore it instead")
        if r.pin_reason:
            return f"{pid}: pinned ({r.pin_reason}) — unpin it first"
    elif command == "page.pin":
        if r.pending == "page.pin":
            return queued
        if r.pin_reason:
            return f"{pid}: already pinned ({r.pin_reason})"
        if r.kind != "tool_result":
            return f"{pid}: a {kind} block — only tool results are paged, so a pin changes nothing"
        if r.state == "cleared-by-client":
            return f"{pid}: cleared by the client — there is nothing resident to pin"
    elif command == "page.unpin":
        return f"{pid}: not pinned — nothing to unpin"
    elif command == "page.restore":
        if r.state == "cleared-by-client":
            return f"{pid}: cleared by the client — its content is not held"
        return f"{pid}: {state} — nothing to restore" + (" (unpin it to let it be paged)" if r.pin_reason else "")
    return ""


PENDING_NAMES = {"page.evict": "an eviction", "page.pin": "a pin", "page.unpin": "an unpin",
                 "page.restore": "a restore", "session.compact": "a compaction", "session.collapse": "a collapse"}
