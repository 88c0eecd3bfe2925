"""Every command of the README's Commands table, launched as the installed `pichay-tui` in a pseudo-terminal: the
first frame (or first line) renders, one story works, and the command ends with exit status 0 the way a user ends
it (`q` and the quit confirmation for the TUIs, Ctrl-C for the servers). Replay has its own file
(test_replay_pty.py)."""
from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import httpx
import pytest

from pty_term import Term, command_env, pichay_tui

pytestmark = pytest.mark.pty

REPO = Path(__file__).resolve().parents[2]
CLAUDE_FLAGS = ["--allowedTools", "Read,Bash,Edit,Grep,Glob", "--permission-mode", "acceptEdits"]


def claude_bin() -> Path:
    from pichay_tui.sim.claude_cli import find_claude

    found = find_claude()
    assert found, "Claude Code is not installed: ./test.sh installs it into tools/node_modules"
    return found


def quit_confirmed(t: Term) -> None:
    """q asks first while a session is live: n keeps the app, then q and y quit with status 0."""
    t.press("q")
    t.wait_for(r"Quit pichay-tui\?")
    t.press("n")
    t.wait_for(lambda s: "Quit pichay-tui?" not in s, timeout=10)
    assert t.child.isalive()
    t.press("q")
    t.wait_for(r"Quit pichay-tui\?")
    t.press("y")
    assert t.wait_exit() == 0, t.text()


def start_upstream(tmp_path: Path, *extra: str) -> tuple[Term, str, Path, str]:
    """`pichay-tui upstream --port 0`: (term, url, sample project, printed text)."""
    up = Term([pichay_tui(), "upstream", "--port", "0", *extra], tmp_path, cols=200, rows=40)
    text = up.wait_for(r"Ctrl-C stops the model", timeout=60)
    first = next(line for line in text.splitlines() if line.strip())
    m = re.fullmatch(r"pichay-tui upstream listening on (http://127\.0\.0\.1:\d+)", first.strip())
    assert m, text
    work = Path(re.search(r"sample project (\S+)", text).group(1))
    assert (work / "inventory" / "models.py").is_file()
    return up, m.group(1), work, text


def stop_with_ctrl_c(t: Term) -> None:
    t.child.sendintr()
    assert t.wait_exit(30) == 0, t.text()


# ---- upstream ----
def test_upstream_answers_like_the_messages_api_and_stops_on_ctrl_c(tmp_path):
    up, url, work, text = start_upstream(tmp_path, "--script", "long")
    try:
        assert f"pichay-tui --upstream {url} -- claude -p" in text and f"cd {work}" in text
        r = httpx.post(f"{url}/v1/messages", json={"model": "m", "max_tokens": 100, "stream": False,
                                                   "tools": [{"name": "Read", "input_schema": {}}],
                                                   "messages": [{"role": "user", "content": "Review the project, please"}]})
        reply = r.json()
        assert r.status_code == 200 and reply["type"] == "message"
        call = next(b for b in reply["content"] if b["type"] == "tool_use")
        assert call["name"] == "Read" and call["input"]["file_path"].startswith(str(work))
        stop_with_ctrl_c(up)
        assert "stopped after 1 request" in up.text()
    finally:
        up.kill()


def test_upstream_never_writes_into_a_folder_that_has_files(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    t = Term([pichay_tui(), "upstream", "--port", "0", "--workdir", str(mine)], tmp_path)
    try:
        assert t.wait_exit(30) == 2
    finally:
        t.kill()
    assert "is not empty" in t.text() and sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


# ---- the TUI beside an agent: the README recipe with real Claude Code ----
def test_tui_beside_real_claude_code_against_the_scripted_model_pin_a_page(tmp_path):
    """The README recipe: `pichay-tui upstream` in one terminal; in the sample project,
    `pichay-tui --upstream URL -- claude -p ...` in another. The operator pins a page while Claude Code works and
    sees it applied; Claude Code finishes with the right answer; q asks first, then exits 0."""
    up, url, work, _ = start_upstream(tmp_path, "--latency", "1.5")
    env = command_env(tmp_path, HOME=str(tmp_path / "home"), ANTHROPIC_API_KEY="dummy",
                      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
    env["PATH"] = f"{claude_bin().parent}:{env['PATH']}"
    (tmp_path / "home").mkdir()
    t = Term([pichay_tui(), "--port", "0", "--upstream", url, "--", "claude", "-p",
              "Review the inventory project and change the report marker", *CLAUDE_FLAGS],
             tmp_path, cwd=str(work), env=env)
    try:
        first = t.wait_for(r"proxy http://127\.0\.0\.1:\d+", timeout=60)
        assert "Pages" in first or t.wait_for("Pages")
        t.wait_for(r"result\s+Read\s+\S+\s+● resident", timeout=120)
        t.settle(0.2)
        t.press("G")                                     # the newest page
        t.press("p")
        toast = t.wait_for(r"page\.pin (p[0-9a-f]{8}) queued", timeout=20)
        page = re.search(r"page\.pin (p[0-9a-f]{8}) queued", toast).group(1)
        t.wait_for(rf"{page}\s.*→pin", timeout=20)               # pending until the next request
        t.wait_for(rf"{page}\s.*◆ pinned.*operator", timeout=120)  # applied by the proxy
        t.wait_for(r"Pin set · 1")
        done = t.wait_for(r"exited \(0\)", timeout=240)
        assert "○ evicted" in done                        # Claude Code's old tool results were paged out
        log = t.wait_for(r"SIM-ANSWER: reread=amber edit=ok verify=ember-2", timeout=30)
        row = next(line for line in log.splitlines() if page in line and "result" in line)
        assert "◆ pinned" in row and "operator" in row   # still pinned at the end, older than τ: kept
        quit_confirmed(t)
    finally:
        t.kill()
        up.kill()


# ---- demo ----
def test_demo_shows_a_fault_and_quits_after_confirmation(tmp_path):
    t = Term([pichay_tui(), "demo", "--pace", "0.3", "--workdir", str(tmp_path / "scratch")], tmp_path)
    try:
        first = t.wait_for(r"demo .* script", timeout=60)
        assert "pichay-tui" in first
        screen = t.wait_for(r"Fault timeline · [1-9]", timeout=180)
        assert re.search(r"(?m)^\W+\d+\s+\S*models\.py\s.*major", screen), screen
        quit_confirmed(t)
    finally:
        t.kill()


# ---- serve (headless) ----
def test_serve_prints_its_url_first_pages_traffic_and_stops_on_ctrl_c(tmp_path):
    up, url, work, _ = start_upstream(tmp_path)
    s = Term([pichay_tui(), "serve", "--port", "0", "--upstream", url], tmp_path, cols=200)
    try:
        text = s.wait_for(r"pichay-tui listening on http://127\.0\.0\.1:\d+", timeout=60)
        first = next(line for line in text.splitlines() if line.strip())
        proxy = re.fullmatch(r"pichay-tui listening on (http://127\.0\.0\.1:\d+)", first.strip()).group(1)
        from pichay_tui.sim.agent import SimulatedAgent
        import asyncio

        result = asyncio.run(SimulatedAgent(proxy, work, script="coding").run())
        assert "reread=amber" in result.final_text
        state = httpx.get(f"{proxy}/_pichay/state", headers=_control_headers(s.text())).json()
        assert sum(sess["stats"]["evictions"] for sess in state["sessions"]) > 0
        stop_with_ctrl_c(s)
        stop_with_ctrl_c(up)
    finally:
        s.kill()
        up.kill()


def _control_headers(text: str) -> dict[str, str]:
    """The control token, when the proxy prints one (the control API may require it)."""
    m = re.search(r"control token: (\S+)", text)
    return {"Authorization": f"Bearer {m.group(1)}"} if m else {}


# ---- analyze, samples, screenshots (headless, in a terminal) ----
def test_analyze_in_a_terminal_prints_the_comparison_and_exits_0(tmp_path):
    t = Term([pichay_tui(), "analyze", "sample_sessions/coding.jsonl", "--compare", "fifo,lru"], tmp_path,
             cwd=str(REPO), cols=220, rows=60)
    try:
        assert t.wait_exit(120) == 0
    finally:
        t.kill()
    out = t.plain()
    assert "sample_sessions/coding.jsonl" in out and "clairvoyant" in out and re.search(r"totals \(fifo\)", out)


def test_samples_regenerates_recordings_that_replay(tmp_path):
    out = tmp_path / "samples"
    t = Term([pichay_tui(), "samples", "--out", str(out), "--only", "coding"], tmp_path, cols=200)
    try:
        assert t.wait_exit(300) == 0, t.text()
    finally:
        t.kill()
    rec = out / "coding.jsonl"
    assert rec.is_file()
    a = Term([pichay_tui(), "analyze", "--json", "--no-bound", str(rec)], tmp_path, cols=250)
    try:
        assert a.wait_exit(120) == 0
    finally:
        a.kill()
    text = a.plain()
    report = json.loads(text[text.index("{"):])
    assert report["totals"]["requests"] == 13 and report["totals"]["faults"] == 1


def test_screenshots_writes_svgs_of_the_real_screens(tmp_path):
    out = tmp_path / "shots"
    t = Term([pichay_tui(), "screenshots", "--out", str(out)], tmp_path, cols=200, cwd=str(REPO))
    try:
        assert t.wait_exit(600) == 0, t.text()
    finally:
        t.kill()
    names = sorted(p.name for p in out.glob("*.svg"))
    assert names == ["help.svg", "main.svg", "page-detail.svg", "replay-compare.svg", "replay.svg", "turn-diff.svg"]
    replay = (out / "replay.svg").read_text()
    assert "frame" in replay and "long_thrash" in replay


def test_headless_commands_end_on_sigterm_too(tmp_path):
    up, url, _, _ = start_upstream(tmp_path)
    try:
        up.child.kill(signal.SIGTERM)
        assert up.wait_exit(30) == 0
    finally:
        up.kill()


def test_two_samples_runs_at_once_both_succeed(tmp_path):
    """The sample project lives in one fixed folder (stable paths in the recordings): runs take turns, not clobber."""
    runs = [Term([pichay_tui(), "samples", "--out", str(tmp_path / f"out{i}"), "--only", "coding"], tmp_path,
                 cols=200) for i in range(2)]
    try:
        assert [r.wait_exit(300) for r in runs] == [0, 0], [r.text() for r in runs]
    finally:
        for r in runs:
            r.kill()
    assert all((tmp_path / f"out{i}" / "coding.jsonl").stat().st_size > 100_000 for i in range(2))
