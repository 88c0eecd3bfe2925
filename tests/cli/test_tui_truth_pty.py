"""The installed `pichay-tui` in a pseudo-terminal, as a user runs it: a bad --upstream and a port in use exit non-zero
with one clear line; at 80×24 the demo keeps 8+ page rows and the proxy URL; the demo removes its scratch folder; keys
typed while the TUI shuts down never reach the shell; quitting stops the launched agent."""
from __future__ import annotations

import os
import re
import socket
import time

import pytest
from pty_term import Term, command_env, pichay_tui

pytestmark = pytest.mark.e2e

LABELS = {"PAGE", "KIND", "TOOL", "ADDRESS", "STATE", "TOKENS", "BYTES", "AGE", "FLT", "PIN", "SESSION", "CLIENT",
          "TURN", "ZONE", "RESIDENT", "EVICTED", "RATE", "OUT→BACK", "TYPE", "×", "WHY", "SINCE"}


def test_malformed_upstream_exits_2_naming_the_flag(tmp_path):
    for args in (["--upstream", "api.anthropic.com"], ["serve", "--upstream", "http://:80x"],
                 ["demo", "--upstream", "ftp://example.com"]):
        t = Term([pichay_tui(), *args], tmp_path, cols=120, rows=20)
        assert t.wait_exit() == 2, t.text()
        assert "Invalid value for '--upstream'" in t.text(), t.text()


@pytest.fixture
def busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


def test_port_in_use_exits_1_with_one_line_in_the_tui_and_serve(tmp_path, busy_port):
    t = Term([pichay_tui(), "--port", str(busy_port), "--", "sh", "-c", f"touch {tmp_path}/agent-ran"], tmp_path,
             cols=160, rows=30)
    assert t.wait_exit() == 1, t.text()
    assert f"cannot listen on 127.0.0.1:{busy_port}: Address already in use" in t.text().replace("\n", "")
    assert not (tmp_path / "agent-ran").exists()          # no proxy, so the agent was never launched
    t = Term([pichay_tui(), "serve", "--port", str(busy_port)], tmp_path, cols=200, rows=10)
    assert t.wait_exit() == 1
    assert re.search(rf"Error: cannot listen on 127\.0\.0\.1:{busy_port}: Address already in use — .*--port 0",
                     t.text().replace("\n", ""))


def _pages_box(rows: list[str]) -> list[str]:
    top = next(i for i, r in enumerate(rows) if "╭─ Pages" in r)
    bottom = next(i for i in range(top + 1, len(rows)) if rows[i].startswith("╰"))
    return rows[top + 1:bottom]


def test_demo_at_80x24_keeps_the_url_and_eight_page_rows_then_removes_its_scratch_folder(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = command_env(tmp_path, TMPDIR=str(scratch))
    t = Term([pichay_tui(), "demo", "--pace", "0.15"], tmp_path, cols=80, rows=24, env=env)
    try:
        t.wait_for(lambda s: (m := re.search(r"Pages · \w+ · (\d+)/", s)) is not None and int(m.group(1)) >= 10,
                   timeout=90)
        assert len(list(scratch.glob("pichay-demo-*"))) == 1           # the demo's scratch project
        rows = t.rows()
        assert re.match(r" proxy http://127\.0\.0\.1:\d+ ", rows[1]), rows[:2]
        box = _pages_box(rows)
        assert box[0].split()[1] == "PAGE"
        page_rows = [r for r in box[1:] if re.match(r"│ p[0-9a-f]{8} ", r)]
        assert len(page_rows) >= 8, "\n".join(rows)
        headers = [w for r in rows for w in re.findall(r"│ ([A-Z→×][A-Z→× ]+?)\s*│", r)]
        for line in headers:                      # every table header shows whole labels only
            assert set(line.split()) <= LABELS, line
        t.press("q")
        t.pump(0.5)
        if "Quit pichay-tui?" in t.text():
            t.press("y")
        assert t.wait_exit() == 0
    finally:
        t.kill()
    assert list(scratch.glob("pichay-demo-*")) == []   # the scratch project is gone


def test_quitting_stops_the_launched_agent_and_keys_typed_meanwhile_do_not_reach_the_shell(tmp_path):
    env = command_env(tmp_path, PS1="$ ")
    sh = Term(["bash", "--norc", "--noprofile", "-i"], tmp_path, cols=160, rows=40, env=env)
    try:
        sh.wait_for(lambda s: s.strip() == "$", timeout=10)
        # an agent that ignores SIGTERM: quitting waits for it, then kills it — time enough to type a command
        sh.press(f"{pichay_tui()} --port 0 -- sh -c 'trap \"\" TERM; while :; do sleep 1; done'\r")
        text = sh.wait_for(r"agent sh: running \(pid \d+\)", timeout=60)
        pid = int(re.search(r"agent sh: running \(pid (\d+)\)", text).group(1))
        sh.press("q")
        text = sh.wait_for(r"Quit pichay-tui\?", timeout=10)
        assert "stops the agent pichay-tui" in text and str(pid) in text
        sh.press("y")
        mark = len(sh.raw)
        time.sleep(0.5)
        sh.press("echo LEAK''ED\r")                    # typed while it shuts down; its output would read LEAKED
        end = time.monotonic() + 30                     # (the VT emulator keeps the TUI's last frame: read raw bytes)
        while not bytes(sh.raw[mark:]).rstrip().endswith(b"$") and time.monotonic() < end:
            sh.pump(0.2)
        sh.press("echo DONE-$((6*7))\r")
        end = time.monotonic() + 10
        while b"DONE-42" not in bytes(sh.raw[mark:]) and time.monotonic() < end:
            sh.pump(0.2)
        after = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", bytes(sh.raw[mark:])).replace(b"\r", b"").split(b"\n")
        assert b"DONE-42" in after, after[-8:]          # the shell runs what is typed after the TUI has gone …
        assert b"LEAKED" not in after, after[-8:]       # … but not what was typed while it shut down
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the agent (pid {pid}) survived quitting")
    finally:
        sh.kill()
