"""What a script is made of: the step types, the Script itself, tool_use id encoding and helpers building calls that
match Claude Code's tool schemas. The scripts (scripts_builtin, scripts_matrix) build on this; the registry that
names them is script.py."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Union

from .view import RequestView


@dataclass(frozen=True)
class ToolCall:
    """One tool call; `alternatives` are (name, input) used in order when `name` is not among the request's tools."""

    name: str
    input: dict[str, Any]
    alternatives: tuple[tuple[str, dict[str, Any]], ...] = ()
    note: str | Callable[[RequestView], str] = ""

    def resolve(self, available: set[str]) -> tuple[str, dict[str, Any]]:
        """The (name, input) to emit given the tool names the request offers."""
        if not available or self.name in available:
            return self.name, self.input
        for name, inp in self.alternatives:
            if name in available:
                return name, inp
        return self.name, self.input


@dataclass(frozen=True)
class Parallel:
    """Several tool calls emitted in one assistant message."""

    calls: tuple[ToolCall, ...]
    note: str = ""


@dataclass(frozen=True)
class Final:
    """The final answer: fixed text or a function of the request (so it can verify what the model saw)."""

    text: str | Callable[[RequestView], str]


Step = Union[ToolCall, Parallel, Final, Callable[[RequestView], Union[ToolCall, Parallel, Final]]]


@dataclass
class Script:
    """A named list of steps plus the prompt an agent should send and the answer a correct run produces."""

    name: str
    prompt: str
    steps: list[Step]
    expected: str = ""  # the `SIM-ANSWER:` payload of a correct run
    meta: dict[str, Any] = field(default_factory=dict)

    def step(self, n: int, view: RequestView) -> ToolCall | Parallel | Final:
        """Concrete step `n` (dynamic steps are evaluated against the request); past the end: the last step."""
        s = self.steps[min(n, len(self.steps) - 1)]
        return s(view) if callable(s) and not isinstance(s, (ToolCall, Parallel, Final)) else s


def make_tool_id(step: int, idx: int, name: str, inp: dict[str, Any], salt: str = "") -> str:
    """Deterministic, unique-per-call id `toolu_sim_<step:04d>_<8 hex>` carrying the step number."""
    raw = f"{salt}|{step}|{idx}|{name}|{json.dumps(inp, sort_keys=True)}".encode()
    return f"toolu_sim_{step:04d}_{hashlib.sha1(raw).hexdigest()[:8]}"


# -- helpers building calls that match Claude Code's tool schemas -------------------------------------------

def read(path: str, note: str = "", **extra: Any) -> ToolCall:
    """Read {file_path, offset?, limit?}."""
    return ToolCall("Read", {"file_path": path, **extra}, note=note)


def bash(command: str, description: str, note: str = "") -> ToolCall:
    """Bash {command, description}."""
    return ToolCall("Bash", {"command": command, "description": description}, note=note)


def edit(path: str, old: str, new: str, note: str = "") -> ToolCall:
    """Edit {file_path, old_string, new_string}."""
    return ToolCall("Edit", {"file_path": path, "old_string": old, "new_string": new}, note=note)


def grep(pattern: str, path: str, glob: str | None = None, mode: str = "content", note: str = "") -> ToolCall:
    """Grep {pattern, path, glob?, output_mode?}; falls back to `grep -rn` via Bash when Grep is not offered."""
    inp: dict[str, Any] = {"pattern": pattern, "path": path, "output_mode": mode}
    if glob:
        inp["glob"] = glob
    if mode == "content":
        inp["-n"] = True
    include = f" --include='{glob}'" if glob else ""
    cmd = f"grep -rnE{'' if mode == 'content' else 'l'} '{pattern}' {path}{include} | sort"
    return ToolCall("Grep", inp, alternatives=(("Bash", {"command": cmd, "description": "Search files"}),),
                    note=note)


def glob(pattern: str, path: str, note: str = "") -> ToolCall:
    """Glob {pattern, path}; falls back to `find` via Bash when Glob is not offered."""
    name = pattern.rsplit("/", 1)[-1]
    cmd = f"find {path} -name '{name}' -not -path '*/.*' | sort"
    return ToolCall("Glob", {"pattern": pattern, "path": path},
                    alternatives=(("Bash", {"command": cmd, "description": "List matching files"}),), note=note)
