"""Operator actions: the UI's view of the core's named commands (one code path for keys, palette and HTTP).

This is presentation only: a label per command and whether it needs a selected page. Whether a command applies to
the selected row, and why not, is the engine's answer (`ViewModel.check` -> `Engine.check`), so keys, the palette and
`check_action` agree with what the engine would accept.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.commands.registry import COMMANDS
from ..core.view.model import PageRow

COLLAPSE = "session.collapse"


@dataclass(frozen=True, slots=True)
class OperatorAction:
    command: str                      # core command name
    label: str
    needs_page: bool


ACTIONS: dict[str, OperatorAction] = {a.command: a for a in (
    OperatorAction("page.evict", "Evict page", True),
    OperatorAction("page.pin", "Pin page", True),
    OperatorAction("page.unpin", "Unpin page", True),
    OperatorAction("page.restore", "Restore page", True),
    OperatorAction("session.compact", "Compact session now", False),
    OperatorAction(COLLAPSE, "Collapse turn range…", False),
)}


def destructive(command: str) -> bool:
    spec = COMMANDS.get(command)
    return bool(spec and spec.destructive) or command == COLLAPSE


def applicable(vm: Any, command: str, row: PageRow | None) -> tuple[bool, str]:
    """(can run now, reason if not) for the selected row, as the engine answers it."""
    if ACTIONS[command].needs_page and row is None:
        return False, "no page selected"
    return vm.check(command, row)
