"""Per-tool paging class: addressable (paged behind a handle), gc (transient output) or keep (never evicted).

Every class keeps what it evicts in the backing store, so `memory_fault` brings any handle back. The class decides
the rest: an *addressable* result has an address key (the same call again is a fault, and fault pinning applies);
a *gc* result is transient output (counted as GC, not paging; asking for it back is a restore, not a fault); a
*keep* result is never chosen by an eviction policy (the operator or the model can still evict it explicitly).
Results that cannot be cheaply re-created — subagent reports, web fetches and searches, MCP calls, unknown tools —
are addressable, never GC. The table is documented in docs/tool-classes.md; `--tool-class NAME=CLASS` overrides it.
"""
from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Iterable, Mapping

ADDRESSABLE, GC, KEEP = "addressable", "gc", "keep"
CLASSES = (ADDRESSABLE, GC, KEEP)

DEFAULT_CLASSES: dict[str, str] = {
    # reads: the same address gives the same content back
    "Read": ADDRESSABLE, "NotebookRead": ADDRESSABLE, "Grep": ADDRESSABLE, "Glob": ADDRESSABLE, "LS": ADDRESSABLE,
    "read_file": ADDRESSABLE, "view": ADDRESSABLE,
    # costly or not idempotent to re-run: a subagent's report costs minutes and tokens, the web changes
    "Task": ADDRESSABLE, "Agent": ADDRESSABLE, "WebFetch": ADDRESSABLE, "WebSearch": ADDRESSABLE,
    # transient output: a command's output or an edit's confirmation, only meaningful when it happened
    # (polling a background job's output with the same arguments is not a re-read: never a fault)
    "Bash": GC, "BashOutput": GC, "TaskOutput": GC, "KillShell": GC, "KillBash": GC, "Edit": GC, "MultiEdit": GC,
    "Write": GC, "NotebookEdit": GC, "TodoWrite": GC, "EnterPlanMode": GC, "ExitPlanMode": GC,
}
MCP_DEFAULT = ADDRESSABLE        # mcp__server__tool: may be costly or have side effects
OTHER_DEFAULT = ADDRESSABLE      # a tool we do not know: when unsure, keep an address
SUBAGENT_TOOLS = frozenset({"Task", "Agent"})      # a conversation offering these can spawn subagents
CHEAP_REREAD = frozenset({"Read", "NotebookRead", "Grep", "Glob", "LS", "read_file", "view"})


def tool_class(tool: str | None, overrides: Mapping[str, str] | None = None) -> str:
    """The class of a tool: an override (exact name, then the first matching glob), then the defaults."""
    name = tool or ""
    if overrides:
        if name in overrides:
            return overrides[name]
        for pattern, cls in overrides.items():
            if any(c in pattern for c in "*?[") and fnmatchcase(name, pattern):
                return cls
    if name in DEFAULT_CLASSES:
        return DEFAULT_CLASSES[name]
    return MCP_DEFAULT if name.startswith("mcp__") else OTHER_DEFAULT


def parse_tool_classes(items: Iterable[str] | Mapping[str, str]) -> dict[str, str]:
    """`NAME=CLASS` strings (or a mapping) into an override table; a bad entry raises ValueError naming it."""
    pairs = items.items() if isinstance(items, Mapping) else \
        [tuple(x.split("=", 1)) if "=" in x else (x, "") for x in items]
    out: dict[str, str] = {}
    for name, cls in pairs:
        name, cls = str(name).strip(), str(cls).strip().lower()
        if not name or cls not in CLASSES:
            raise ValueError(f"bad tool class {name}={cls!r}: expected NAME=CLASS with CLASS one of "
                             f"{', '.join(CLASSES)}")
        out[name] = cls
    return out


def class_table(overrides: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(tool, class, source) rows of the effective table, for docs and `--help`-like listings."""
    rows = [(t, c, "default") for t, c in DEFAULT_CLASSES.items() if not (overrides and t in overrides)]
    rows += [(t, c, "override") for t, c in (overrides or {}).items()]
    rows += [("mcp__*", MCP_DEFAULT, "default"), ("(any other tool)", OTHER_DEFAULT, "default")]
    return rows
