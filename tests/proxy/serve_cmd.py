"""The installed `pichay-tui serve` as a user runs it: start it, read its banner, stop it, check how it ended."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

LISTENING = re.compile(r"pichay-tui listening on (http://(?:127\.0\.0\.1|\[::1\]|localhost):(\d+))")
TOKEN = re.compile(r"pichay-tui control token: ([A-Za-z0-9_-]+)")


def pichay_command() -> str:
    """The console script installed beside this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "pichay-tui"
    found = str(beside) if beside.exists() else shutil.which("pichay-tui")
    assert found, "pichay-tui is not installed (pip install -e .)"
    return found


@dataclass
class Serve:
    proc: asyncio.subprocess.Process
    url: str
    port: int
    token: str

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> tuple[int, str]:
        """Signal it, wait, and return (exit code, stderr)."""
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        return code, (await self.proc.stderr.read()).decode()


async def start_serve(*args: str, env: dict[str, str] | None = None) -> Serve:
    """`pichay-tui serve --port 0 ARGS`; asserts the two banner lines (listening, then the control token)."""
    proc = await asyncio.create_subprocess_exec(
        pichay_command(), "serve", "--port", "0", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, **(env or {})})
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().rstrip("\n")
        m = LISTENING.fullmatch(first)
        assert m, f"first line {first!r}; stderr {(await proc.stderr.read()).decode()[-2000:]!r}"
        second = (await asyncio.wait_for(proc.stdout.readline(), 5)).decode().rstrip("\n")
        t = TOKEN.fullmatch(second)
        assert t, f"second line {second!r}"
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    return Serve(proc, m.group(1), int(m.group(2)), t.group(1))


async def run_to_exit(*args: str, timeout: float = 30, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`pichay-tui ARGS` expected to end by itself: (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        pichay_command(), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})})
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"pichay-tui {' '.join(args)} did not exit within {timeout}s")
    return proc.returncode, out.decode(), err.decode()
