"""Operator actions: the UI's view of the core's named commands (one code path for keys, palette and HTTP).

Each action names a core command; availability depends only on the selected page row, so keys, the palette and
`check_action` agree. No paging logic here: the engine validates and queues, we only describe.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..core.commands import COMMANDS
from ..core.viewmodel import OUT_STATES, PageRow

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
        return False, act.why_not
    return True, ""
