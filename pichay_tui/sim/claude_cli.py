"""Launching the real Claude Code CLI (`claude -p`) against a local endpoint and parsing its stream-json output."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = [REPO_ROOT / "tools" / "node_modules" / ".bin" / "claude",
              Path("/work/main/tools/node_modules/.bin/claude")]
DEFAULT_TOOLS = "Read,Bash,Edit,Write,Grep,Glob"
MISSING_HELP = ("Claude Code CLI not found (looked in PATH and tools/node_modules/.bin). "
                "Run ./test.sh, which installs the pinned agent CLIs via `npm install` in tools/.")


@dataclass
class ClaudeRun:
    """Outcome of one `claude -p` run."""

    exit_code: int
    result_text: str
    is_error: bool
    events: list[dict[str, Any]] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False

    def tool_uses(self) -> list[dict[str, Any]]:
        """tool_use blocks of every assistant event, in order."""
        out = []
        for ev in self.events:
            if ev.get("type") == "assistant":
                out += [b for b in (ev.get("message") or {}).get("content") or [] if b.get("type") == "tool_use"]
        return out


def find_claude() -> Path | None:
    """Path of the `claude` executable: PATH first, then the repo's pinned tools/node_modules."""
    found = shutil.which("claude")
    if found:
        return Path(found)
    for cand in CANDIDATES:
        if cand.exists() and os.access(cand, os.X_OK):
            return cand
    return None


def claude_env(base_url: str, home: Path | str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a hermetic run: our endpoint, a dummy key, a private HOME, no non-essential traffic."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
    env.update({"ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_API_KEY": "dummy", "HOME": str(home),
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1",
                "DISABLE_TELEMETRY": "1", "DISABLE_ERROR_REPORTING": "1", "NO_COLOR": "1",
                "XDG_CONFIG_HOME": str(Path(home) / ".config")})
    env.update(extra or {})
    return env


def parse_stream_json(stdout: str) -> tuple[list[dict[str, Any]], str, bool]:
    """(events, final result text, is_error) from `--output-format stream-json` lines."""
    events, result, is_error = [], "", True
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            continue
        events.append(ev)
        if ev.get("type") == "result":
            result = str(ev.get("result") or "")
            is_error = bool(ev.get("is_error")) or ev.get("subtype") != "success"
    return events, result, is_error


async def run_claude(prompt: str, base_url: str, workdir: Path | str, home: Path | str | None = None,
                     allowed_tools: str = DEFAULT_TOOLS, timeout: float = 240.0,
                     extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None) -> ClaudeRun:
    """Run `claude -p PROMPT` in `workdir` against `base_url` (async, so an in-loop server keeps serving)."""
    exe = find_claude()
    if exe is None:
        raise FileNotFoundError(MISSING_HELP)
    home_dir = Path(home) if home else Path(tempfile.mkdtemp(prefix="claude-home-"))
    home_dir.mkdir(parents=True, exist_ok=True)
    args = [str(exe), "-p", prompt, "--output-format", "stream-json", "--verbose",
            "--allowedTools", allowed_tools, "--permission-mode", "acceptEdits", *(extra_args or [])]
    return await run_stream_json(args, workdir, claude_env(base_url, home_dir, extra_env), timeout)


async def run_stream_json(args: list[str], workdir: Path | str, env: dict[str, str], timeout: float) -> ClaudeRun:
    """Run a client that prints stream-json; a hung one is killed at `timeout` and reported as timed out."""
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=str(workdir), env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    timed_out = False
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        timed_out = True
        proc.kill()
        out, err = await proc.communicate()
    stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    events, result, is_error = parse_stream_json(stdout)
    code = proc.returncode if proc.returncode is not None else -1
    return ClaudeRun(code, result, is_error, events, stdout, stderr, timed_out)
