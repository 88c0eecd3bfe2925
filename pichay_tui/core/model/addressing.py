"""Address keys of tool calls: what a call read, so a repeat of it is recognised (its class: tool_classes.py).

A key is the tool name plus the arguments that name *what* was read; two calls with the same key read the same thing.
"""
from __future__ import annotations

from typing import Any, Mapping

import orjson

from .tool_classes import GC, tool_class

# tool name -> argument names that address the content (order matters for display)
ADDRESS_ARGS: dict[str, tuple[str, ...]] = {
    "Read": ("file_path", "offset", "limit", "pages"),
    "NotebookRead": ("notebook_path", "cell_id"),
    "WebFetch": ("url",),
    "Grep": ("pattern", "path", "glob", "type", "output_mode", "-i", "-n", "-A", "-B", "-C", "multiline"),
    "Glob": ("pattern", "path"),
    "LS": ("path",),
    "read_file": ("path", "file_path"),                 # common MCP / other-agent spellings
    "view": ("path", "file_path", "view_range"),
}
DISPLAY_ARG = {"Read": "file_path", "NotebookRead": "notebook_path", "WebFetch": "url", "Grep": "pattern",
               "Glob": "pattern", "LS": "path", "Bash": "command", "Task": "description", "Agent": "description",
               "WebSearch": "query"}


def address_key(tool: str | None, tool_input: dict[str, Any] | None,
                classes: Mapping[str, str] | None = None) -> str | None:
    """Stable key for an addressable call, or None when its tool's class (tool_classes.py) is transient (GC)."""
    if not tool or tool_class(tool, classes) == GC:
        return None
    args = tool_input or {}
    names = ADDRESS_ARGS.get(tool)
    if names is None:                      # subagents, web searches, MCP calls, unknown tools: every argument
        return tool + ":" + orjson.dumps(args, option=orjson.OPT_SORT_KEYS, default=str).decode()
    picked = {n: args[n] for n in names if n in args and args[n] not in (None, "")}
    if not picked:
        return None
    return tool + ":" + orjson.dumps(picked, option=orjson.OPT_SORT_KEYS).decode()


def display_address(tool: str | None, tool_input: dict[str, Any] | None) -> str:
    """Short human label for what a call touched: a path, url, pattern or command."""
    args = tool_input or {}
    name = DISPLAY_ARG.get(tool or "")
    if name and args.get(name):
        label = str(args[name])
        if tool == "Read" and (args.get("offset") or args.get("limit")):
            label += f" [{args.get('offset', 0)}:{args.get('limit', '')}]"
        if tool == "Grep" and args.get("path"):
            label += f" in {args['path']}"
        return label
    for v in args.values():
        if isinstance(v, str) and v:
            return v[:120]
    return ""


def path_of(tool: str | None, tool_input: dict[str, Any] | None) -> str | None:
    """The file path a call read, if any; cooperative ops accept paths as page names."""
    args = tool_input or {}
    for n in ("file_path", "notebook_path", "path"):
        if isinstance(args.get(n), str):
            return args[n]
    return None
