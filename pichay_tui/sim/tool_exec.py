"""Executes the simulated agent's tool calls for real against its work directory, Claude Code style."""
from __future__ import annotations

import asyncio
import fnmatch
import re
from pathlib import Path
from typing import Any, Awaitable, Callable

UNCHANGED_NOTICE = ("File unchanged since last read. The content from the earlier Read tool_result in this "
                    "conversation is still current — refer to that instead of re-reading.")
MAX_OUTPUT = 30000


class ToolError(Exception):
    """A tool failure reported to the model as an `is_error` tool_result."""


class ToolExecutor:
    """Runs Read/Bash/Edit/Write/Grep/Glob/TodoWrite (and Task through a callback) inside `workdir`.

    `unchanged_notice`: answer a whole re-read of an unchanged file with a notice, as Claude Code does (True: its
    older wording; a string: that wording, e.g. 2.1.197's "Wasted call — file unchanged since your last Read…")."""

    def __init__(self, workdir: Path | str, unchanged_notice: bool | str = False,
                 subagent: Callable[[dict[str, Any]], Awaitable[str]] | None = None) -> None:
        self.workdir = Path(workdir).resolve()
        self.unchanged_notice = unchanged_notice
        self.subagent = subagent
        self.last_read: dict[str, str] = {}  # path -> content last returned in full
        self.seen: set[str] = set()  # paths read at least once (Edit requires it)

    async def run(self, name: str, inp: dict[str, Any]) -> tuple[str, bool]:
        """(result text, is_error) of one call."""
        handler = getattr(self, f"_{name.lower()}", None)
        if name in ("Task", "Agent"):
            handler = self._task
        if handler is None:
            return f"<tool_use_error>No such tool available: {name}</tool_use_error>", True
        try:
            return await handler(inp), False
        except ToolError as exc:
            return f"<tool_use_error>{exc}</tool_use_error>", True
        except (OSError, ValueError, KeyError, re.error) as exc:
            return f"<tool_use_error>{type(exc).__name__}: {exc}</tool_use_error>", True

    def _path(self, p: Any) -> Path:
        path = Path(str(p or ""))
        return path if path.is_absolute() else self.workdir / path

    async def _read(self, inp: dict[str, Any]) -> str:
        path = self._path(inp.get("file_path"))
        if not path.exists():
            raise ToolError(f"File does not exist. Current working directory: {self.workdir}")
        if path.is_dir():
            raise ToolError("EISDIR: illegal operation on a directory, read")
        text = path.read_text(encoding="utf-8", errors="replace")
        offset, limit = int(inp.get("offset") or 1), int(inp.get("limit") or 2000)
        whole = offset <= 1 and "limit" not in inp
        if whole and self.unchanged_notice and self.last_read.get(str(path)) == text:
            return self.unchanged_notice if isinstance(self.unchanged_notice, str) else UNCHANGED_NOTICE
        if not text:
            return "<system-reminder>Warning: the file exists but the contents are empty.</system-reminder>"
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        start = max(offset, 1)
        chosen = lines[start - 1:start - 1 + limit]
        self.seen.add(str(path))
        if whole:
            self.last_read[str(path)] = text
        return "\n".join(f"{n:6d}\t{line[:2000]}" for n, line in enumerate(chosen, start))

    async def _bash(self, inp: dict[str, Any]) -> str:
        timeout = min(float(inp.get("timeout") or 120000), 600000) / 1000
        proc = await asyncio.create_subprocess_shell(
            str(inp.get("command", "")), cwd=self.workdir, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            raise ToolError(f"Command timed out after {timeout:.0f}s")
        text = out.decode("utf-8", "replace").rstrip("\n")[:MAX_OUTPUT]
        if proc.returncode:
            raise ToolError(f"Exit code {proc.returncode}\n{text}")
        return text or "(Bash completed with no output)"

    async def _edit(self, inp: dict[str, Any]) -> str:
        path = self._path(inp.get("file_path"))
        old, new = str(inp.get("old_string", "")), str(inp.get("new_string", ""))
        if str(path) not in self.seen and path.exists():
            raise ToolError("File has not been read yet. Read it first before writing to it.")
        text = path.read_text(encoding="utf-8")
        count = text.count(old) if old else 0
        if old == new:
            raise ToolError("No changes to make: old_string and new_string are exactly the same.")
        if count == 0:
            raise ToolError(f"String to replace not found in file.\nString: {old}")
        if count > 1 and not inp.get("replace_all"):
            raise ToolError(f"Found {count} matches of the string to replace, but replace_all is false.")
        path.write_text(text.replace(old, new) if inp.get("replace_all") else text.replace(old, new, 1),
                        encoding="utf-8")
        self.last_read.pop(str(path), None)  # the model has not seen the new full content
        return f"The file {path} has been updated successfully."

    async def _write(self, inp: dict[str, Any]) -> str:
        path = self._path(inp.get("file_path"))
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(inp.get("content", "")), encoding="utf-8")
        self.last_read.pop(str(path), None)
        return f"The file {path} has been updated successfully." if existed else f"File created successfully at: {path}"

    def _files(self, root: Path, pattern: str | None) -> list[Path]:
        if root.is_file():
            return [root]
        files = [p for p in root.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(root).parts)]
        if pattern:
            files = [p for p in files if fnmatch.fnmatch(p.name, pattern) or fnmatch.fnmatch(str(p.relative_to(root)), pattern)]
        return sorted(files)

    async def _grep(self, inp: dict[str, Any]) -> str:
        rx = re.compile(str(inp["pattern"]), re.I if inp.get("-i") else 0)
        mode = inp.get("output_mode") or "files_with_matches"
        out: list[str] = []
        for path in self._files(self._path(inp.get("path") or self.workdir), inp.get("glob")):
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (UnicodeDecodeError, OSError):
                continue
            hits = [(n, line) for n, line in enumerate(lines, 1) if rx.search(line)]
            if not hits:
                continue
            if mode == "content":
                out += [f"{path}:{n}:{line}" if inp.get("-n", True) else f"{path}:{line}" for n, line in hits]
            elif mode == "count":
                out.append(f"{path}:{len(hits)}")
            else:
                out.append(str(path))
        if inp.get("head_limit"):
            out = out[:int(inp["head_limit"])]
        if not out:
            return "No matches found" if mode == "content" else "No files found"
        return "\n".join(out) if mode != "files_with_matches" else f"Found {len(out)} files\n" + "\n".join(out)

    async def _glob(self, inp: dict[str, Any]) -> str:
        root = self._path(inp.get("path") or self.workdir)
        pattern = str(inp["pattern"])
        found = sorted(p for p in root.glob(pattern) if p.is_file()
                       and not any(s.startswith(".") for s in p.relative_to(root).parts))
        return "\n".join(str(p) for p in found) or "No files found"

    async def _todowrite(self, inp: dict[str, Any]) -> str:
        return "Todos have been modified successfully. Continue with the current task."

    async def _webfetch(self, inp: dict[str, Any]) -> str:
        raise ToolError("Network access is disabled in the simulation.")

    async def _task(self, inp: dict[str, Any]) -> str:
        if self.subagent is None:
            raise ToolError("Sub-agents are not available.")
        return await self.subagent(inp)
