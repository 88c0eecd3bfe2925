"""Deterministic synthetic conversations (Claude-Code-shaped request bodies) for tests and benchmarks."""
from __future__ import annotations

import copy
import random
from typing import Any, Iterator

TOOLS = [
    {"name": n, "description": f"{n} tool. " + "Detailed usage notes. " * 40,
     "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}}}
    for n in ("Read", "Bash", "Edit", "Write", "Grep", "Glob", "WebFetch", "TodoWrite")
]
SYSTEM = [{"type": "text", "text": "You are a coding agent.", "cache_control": {"type": "ephemeral"}},
          {"type": "text", "text": "Instructions. " * 300, "cache_control": {"type": "ephemeral"}}]


def file_content(name: str, version: int = 0, lines: int = 120) -> str:
    rnd = random.Random(f"{name}:{version}")
    return "\n".join(f"{i + 1}\t{name} v{version} line {i}: " + "".join(rnd.choice("abcdefgh ") for _ in range(40))
                     for i in range(lines))


class Conversation:
    """Builds successive request bodies the way an agent does: append assistant + user, move the cache marker."""

    def __init__(self, session: str = "sess-1", prompt: str = "Please work on the project.") -> None:
        self.messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": prompt}]}]
        self.session = session
        self.n = 0
        self.versions: dict[str, int] = {}

    def body(self) -> dict[str, Any]:
        msgs = copy.deepcopy(self.messages)
        last = msgs[-1]["content"]
        if isinstance(last, list) and last:
            last[-1]["cache_control"] = {"type": "ephemeral"}
        return {"model": "claude-test", "max_tokens": 1024, "system": SYSTEM, "tools": TOOLS, "stream": True,
                "metadata": {"user_id": f"user_x_account__session_{self.session}"}, "messages": msgs}

    def call(self, tool: str, tool_input: dict[str, Any], result: str, is_error: bool = False,
             text: str | None = None) -> str:
        self.n += 1
        tid = f"toolu_{self.session}_{self.n:05d}"
        blocks: list[dict[str, Any]] = []
        if text:
            blocks.append({"type": "text", "text": text})
        blocks.append({"type": "tool_use", "id": tid, "name": tool, "input": tool_input})
        self.messages.append({"role": "assistant", "content": blocks})
        res: dict[str, Any] = {"type": "tool_result", "tool_use_id": tid, "content": result}
        if is_error:
            res["is_error"] = True
        self.messages.append({"role": "user", "content": [res]})
        return tid

    def read(self, path: str, lines: int = 120) -> str:
        return self.call("Read", {"file_path": path}, file_content(path, self.versions.get(path, 0), lines))

    def edit(self, path: str) -> str:
        self.versions[path] = self.versions.get(path, 0) + 1
        return self.call("Edit", {"file_path": path, "old_string": "a", "new_string": "b"},
                         f"The file {path} has been updated.")

    def bash(self, command: str, lines: int = 40) -> str:
        out = "\n".join(f"{command} output line {i} " + "x" * 30 for i in range(lines))
        return self.call("Bash", {"command": command, "description": "run"}, out)


def round_robin_session(turns: int, files: int = 40, session: str = "bench",
                        fresh: bool = False) -> Iterator[dict[str, Any]]:
    """The benchmark's workload: `turns` Read calls cycling over `files` files; yields each request body.

    With `fresh`, every read returns content never seen before (as if each file changed between passes), so no
    per-content cache helps late turns.
    """
    conv = Conversation(session)
    yield conv.body()
    for t in range(turns):
        path = f"/work/project/src/module_{t % files:02d}.py"
        if fresh:
            conv.versions[path] = t
        conv.read(path, lines=60)
        yield conv.body()
