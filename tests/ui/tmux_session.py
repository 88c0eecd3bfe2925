"""The installed `pichay-tui` in a private tmux server (unique socket), read back with capture-pane."""
from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest


def pichay() -> str:
    beside = Path(sys.executable).parent / "pichay-tui"
    return str(beside) if beside.exists() else shutil.which("pichay-tui")


class Tmux:
    """One tmux server of our own; `start(cmd)` runs CMD in a COLSxROWS window (COLUMNS/LINES unset, so the app
    sizes itself from the terminal)."""

    def __init__(self, tmp: Path) -> None:
        self.sock = f"i11tok-{uuid.uuid4().hex[:8]}"
        self.tmp = tmp

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True, timeout=20).stdout

    def start(self, cmd: str, cols: int = 160, rows: int = 40, env: dict[str, str] | None = None) -> None:
        extra = [a for k, v in (env or {}).items() for a in ("-e", f"{k}={v}")]
        self.run("new-session", "-d", "-s", "t", "-x", str(cols), "-y", str(rows), *extra,
                 f"env -u COLUMNS -u LINES {cmd}")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "t")

    async def wait_for(self, pattern: re.Pattern | str, timeout: float = 40.0) -> re.Match:
        end = time.monotonic() + timeout
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        while True:
            m = rx.search(self.screen())
            if m:
                return m
            assert time.monotonic() < end, f"{rx.pattern!r} not on screen:\n{self.screen()}"
            await asyncio.sleep(0.3)


@pytest.fixture
def tmux(tmp_path):
    if not shutil.which("tmux"):
        pytest.fail("tmux is not installed")
    t = Tmux(tmp_path)
    yield t
    t.run("kill-server")


async def wait_file(path: Path, timeout: float = 20.0) -> str:
    end = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < end, f"{path} was not written"
        await asyncio.sleep(0.2)
    return path.read_text().strip()
