"""The installed `pichay-tui` in tmux: its header shows the control token of the proxy it runs (the same as in
STATE_DIR/control-token), the log pane carries the serve banner's two lines, the token drives the control API while
a request without it is refused, and `q` exits 0."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

HEADER = re.compile(r"proxy (http://127\.0\.0\.1:\d+)\s.*\btoken ([A-Za-z0-9_-]{43})\b")


def pichay() -> str:
    beside = Path(sys.executable).parent / "pichay-tui"
    return str(beside) if beside.exists() else shutil.which("pichay-tui")


class Tmux:
    def __init__(self, tmp: Path) -> None:
        self.sock = f"i11tok-{uuid.uuid4().hex[:8]}"
        self.tmp = tmp

    def run(self, *args: str) -> str:
        import subprocess

        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True, timeout=20).stdout

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


async def test_tui_shows_a_working_control_token(tmux, tmp_path):
    state, done = tmp_path / "state", tmp_path / "exit-code"
    cmd = f"env -u COLUMNS -u LINES {pichay()} --port 0 --state-dir {state}; echo $? > {done}; sleep 30"
    tmux.run("new-session", "-d", "-s", "t", "-x", "160", "-y", "40", "-e", f"XDG_CONFIG_HOME={tmp_path / 'cfg'}",
             "-e", f"PATH={os.environ.get('PATH', '')}", cmd)
    m = await tmux.wait_for(HEADER)
    url, token = m.group(1), m.group(2)
    assert (state / "control-token").read_text().strip() == token
    async with httpx.AsyncClient(timeout=10) as c:
        refused = await c.post(f"{url}/_pichay/commands", json={"command": "intercept.on"})
        assert refused.status_code == 401
        ok = await c.post(f"{url}/_pichay/commands", json={"command": "intercept.on"},
                          headers={"authorization": f"Bearer {token}"})
        assert ok.status_code == 200, ok.text
    await tmux.wait_for(r"INTERCEPT on")                  # the TUI's own proxy took the command
    tmux.run("send-keys", "-t", "t", "L")
    screen = (await tmux.wait_for(r"pichay-tui control token: \S+")).string
    lines = [ln for ln in screen.splitlines() if "pichay-tui listening on" in ln or "pichay-tui control token:" in ln]
    assert len(lines) == 2 and "listening on" in lines[0] and url in lines[0]     # the token line comes right after
    tmux.run("send-keys", "-t", "t", "q")
    end = time.monotonic() + 20
    while not done.exists():
        assert time.monotonic() < end, tmux.screen()
        await asyncio.sleep(0.2)
    assert done.read_text().strip() == "0"
