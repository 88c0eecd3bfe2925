"""The installed `pichay-tui` in tmux: its header shows the control token of the proxy it runs (the same as in
STATE_DIR/control-token), the log pane carries the serve banner's two lines, the token drives the control API while
a request without it is refused, and `q` exits 0."""
from __future__ import annotations

import os
import re

import httpx
from tmux_session import pichay, tmux, wait_file  # noqa: F401 - tmux is a fixture

HEADER = re.compile(r"proxy (http://127\.0\.0\.1:\d+)\s.*\btoken ([A-Za-z0-9_-]{43})\b")


async def test_tui_shows_a_working_control_token(tmux, tmp_path):
    state, done = tmp_path / "state", tmp_path / "exit-code"
    tmux.start(f"{pichay()} --port 0 --state-dir {state}; echo $? > {done}; sleep 30",
               env={"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "PATH": os.environ.get("PATH", "")})
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
    tmux.keys("L")
    screen = (await tmux.wait_for(r"pichay-tui control token: \S+")).string
    lines = [ln for ln in screen.splitlines() if "pichay-tui listening on" in ln or "pichay-tui control token:" in ln]
    assert len(lines) == 2 and "listening on" in lines[0] and url in lines[0]     # the token line comes right after
    tmux.keys("q")
    assert await wait_file(done) == "0"
