"""Every shell command in README.md and sample_sessions/README.md, run as written.

Commands are taken from ```bash blocks, indented code blocks and inline code in prose (the Commands table holds
synopses, not commands; test_commands_pty.py runs each of them). TUI commands run in a pseudo-terminal: the first
frame renders, `q` (and the quit confirmation when it asks) exits 0. Each command not run here is in EXCEPTIONS with
its reason, and an exception that no longer matches a README command fails the test.
"""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from pty_term import Term, command_env, pichay_tui

pytestmark = pytest.mark.pty

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", REPO / "sample_sessions" / "README.md"]
PICHAY_COVERED = "test_commands_pty.py runs the same with --port 0 (a fixed port collides with parallel runs)"

EXCEPTIONS = {
    "pip install -e . && pichay-tui demo": "./test.sh itself runs the install (pip install -e '.[test]'); the demo "
                                           "is run in a terminal by test_commands_pty.py::test_demo_*",
    "./test.sh": "the test suite itself",
    "pichay-tui": "the TUI on the fixed port 8787; " + PICHAY_COVERED + " (test_tui_beside_real_claude_code_*)",
    'pichay-tui -- claude -p "fix the tests"': "sends Claude Code to the real API: needs an API key and the "
                                               "network; the keyless recipe below is run instead",
    "pichay-tui serve": "fixed port 8787; " + PICHAY_COVERED + " (test_serve_*)",
    "pichay-tui upstream": "fixed port 8788; " + PICHAY_COVERED + " (test_upstream_*), and the recipe below runs "
                           "it with --workdir",
    "python bench/cache_cost.py": "a benchmark: figures measured on the machine that runs it, kept out of the suite",
    "python bench/engine.py": "a benchmark: figures measured on the machine that runs it, kept out of the suite",
    "python bench/proxy_overhead.py": "a benchmark: figures measured on the machine that runs it, kept out of the "
                                      "suite",
    "python bench/proxy_overhead.py --baseline /tmp/base": "the same benchmark against an older checkout (a "
                                                           "`git worktree add /tmp/base COMMIT`), kept out of the suite",
    "python bench/restore_latency.py": "a benchmark: figures measured on the machine that runs it, kept out of the "
                                       "suite",
    "python bench/checkpoint_cost.py": "a benchmark: figures measured on the machine that runs it, kept out of the "
                                       "suite",
    "python bench/memory.py --sessions 1000": "a benchmark: figures measured on the machine that runs it, kept out "
                                              "of the suite",
    "python bench/parse_reuse.py --cold": "a benchmark: figures measured on the machine that runs it, kept out of "
                                          "the suite",
    "python bench/loop_latency.py": "a benchmark: figures measured on the machine that runs it, kept out of the suite",
    "python bench/replay.py": "a benchmark: figures measured on the machine that runs it, kept out of the suite",
    "python bench/ui_table.py": "a benchmark: figures measured on the machine that runs it, kept out of the suite",
    "python bench/client_matrix.py --from build/client-matrix.json": "renders the JSON a ./test.sh run writes into "
                                                                      "build/; tests/sim/test_matrix.py runs it on "
                                                                      "a written JSON",
}
# run together, as the README tells: the recipe (two terminals) and the control-API curl (needs a running proxy)
RECIPE_MODEL = "pichay-tui upstream --workdir /tmp/pichay-sample"
RECIPE_TUI_PREFIX = "cd /tmp/pichay-sample && ANTHROPIC_API_KEY=dummy"
CURL_PREFIX = "curl -s -X POST http://127.0.0.1:8787/_pichay/commands"
TUI_FIRST_FRAME = {"pichay-tui replay": r"frame 0/\d+ · paused", "pichay-tui demo": r"demo .* script"}


def _strip_comment(line: str) -> str:
    """Drop a trailing `# comment` (two spaces before the #, as the READMEs write them)."""
    return re.split(r"\s{2,}#\s", line, maxsplit=1)[0].rstrip()


def shell_commands(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    out: list[str] = []
    for body in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", text, re.S):
        for cmd in body.replace("\\\n", " ").splitlines():
            cmd = re.sub(r"\s+", " ", _strip_comment(cmd)).strip()
            if cmd:
                out.append(cmd)
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    for block in re.findall(r"(?:^|\n\n)((?: {4}\S.*\n?)+)", prose):
        out += [_strip_comment(line.strip()) for line in block.splitlines() if line.strip()]
    for line in prose.splitlines():
        if line.lstrip().startswith("|"):
            continue                                            # the Commands table: synopses with [options]
        out += [c.strip() for c in re.findall(r"`((?:pichay-tui|python|\./)[^`]*)`", line)]
    seen: list[str] = []
    for c in out:
        if c not in seen and not c.startswith("pichay-tui control token"):   # an output line, quoted in prose
            seen.append(c)
    return seen


ALL = [(doc.relative_to(REPO).as_posix(), cmd) for doc in DOCS for cmd in shell_commands(doc)]


def test_the_readmes_list_the_commands_we_expect_to_find():
    cmds = [c for _, c in ALL]
    for needed in ("pichay-tui replay sample_sessions/coding.jsonl", "pichay-tui analyze sample_sessions/* --compare all",
                   RECIPE_MODEL, CURL_PREFIX, RECIPE_TUI_PREFIX, "pichay-tui samples"):
        assert any(c.startswith(needed) for c in cmds), needed
    stale = [e for e in EXCEPTIONS if e not in cmds]
    assert not stale, f"exceptions that match no README command any more: {stale}"


def _workspace(tmp_path: Path) -> Path:
    """A folder laid out like the repository for what the commands read and write (sample_sessions/)."""
    ws = tmp_path / "ws"
    shutil.copytree(REPO / "sample_sessions", ws / "sample_sessions")
    return ws


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tui(cmd: str, cwd: Path, tmp_path: Path) -> None:
    first = next(v for k, v in TUI_FIRST_FRAME.items() if cmd.startswith(k))
    t = Term(["bash", "-c", cmd], tmp_path, cwd=str(cwd))
    try:
        t.wait_for(first, timeout=120)
        t.settle(0.3)
        t.press("q")
        t.pump(0.5)
        if "Quit pichay-tui?" in t.text():
            t.press("y")
        assert t.wait_exit(30) == 0, t.text()
    finally:
        t.kill()


@pytest.mark.parametrize("doc,cmd", [pytest.param(d, c, id=c[:70]) for d, c in ALL])
def test_readme_command_runs_as_written(doc, cmd, tmp_path):
    if cmd in EXCEPTIONS:
        assert EXCEPTIONS[cmd]
        return                                   # not run here: the reason is in EXCEPTIONS (asserted non-empty)
    if cmd.startswith((RECIPE_MODEL, RECIPE_TUI_PREFIX)):
        return _recipe(tmp_path) if cmd.startswith(RECIPE_MODEL) else None    # one run covers both halves
    if cmd.startswith(CURL_PREFIX):
        return _curl(cmd, tmp_path)
    ws = _workspace(tmp_path)
    if any(cmd.startswith(k) for k in TUI_FIRST_FRAME):
        return _tui(cmd, ws, tmp_path)
    p = subprocess.run(["bash", "-c", cmd], cwd=ws, capture_output=True, text=True, timeout=600,
                       env=command_env(tmp_path), stdin=subprocess.DEVNULL)
    assert p.returncode == 0, f"{doc}: `{cmd}` exited {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
    assert p.stdout.strip(), f"{doc}: `{cmd}` printed nothing"
    assert "Traceback" not in p.stderr


def _readme(prefix: str) -> str:
    return next(c for _, c in ALL if c.startswith(prefix))


def _recipe(tmp_path: Path) -> None:
    """The keyless recipe with real Claude Code: both README commands as written, except that the ports are free
    ones and the sample folder is this test's (`--port 0` for the TUI)."""
    from pichay_tui.sim.claude_cli import find_claude

    claude = find_claude()
    assert claude, "Claude Code is not installed: ./test.sh installs it into tools/node_modules"
    port, work = _free_port(), tmp_path / "pichay-sample"
    model_cmd = _readme(RECIPE_MODEL).replace("/tmp/pichay-sample", str(work)) + f" --port {port}"
    tui_cmd = (_readme(RECIPE_TUI_PREFIX).replace("/tmp/pichay-sample", str(work))
               .replace("8788", str(port)).replace("pichay-tui --upstream", "pichay-tui --port 0 --upstream"))
    env = command_env(tmp_path, HOME=str(tmp_path / "home"))
    env["PATH"] = f"{claude.parent}:{env['PATH']}"
    (tmp_path / "home").mkdir()
    up = Term(["bash", "-c", model_cmd], tmp_path, cols=200, env=env)
    try:
        up.wait_for(rf"pichay-tui upstream listening on http://127\.0\.0\.1:{port}", timeout=60)
        tui = Term(["bash", "-c", tui_cmd], tmp_path, env=env)
        try:
            tui.wait_for(r"proxy http://127\.0\.0\.1:\d+", timeout=60)
            end = tui.wait_for(r"SIM-ANSWER: reread=amber edit=ok verify=ember-2", timeout=240)
            tui.wait_for(r"exited \(0\)", timeout=30)
            end = tui.settle()
            assert "○ evicted" in end and re.search(r"Fault timeline · [1-9]", end), end
            tui.press("q")
            tui.wait_for(r"Quit pichay-tui\?")
            tui.press("y")
            assert tui.wait_exit(30) == 0
        finally:
            tui.kill()
        up.child.sendintr()
        assert up.wait_exit(30) == 0
    finally:
        up.kill()


def _curl(cmd: str, tmp_path: Path) -> None:
    """The control-API example against a running `serve`, with $TOKEN from its second line."""
    s = Term([pichay_tui(), "serve", "--port", "0"], tmp_path, cols=200)
    try:
        text = s.wait_for(r"control token: \S+", timeout=60)
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text).group(1)
        token = re.search(r"control token: (\S+)", text).group(1)
        p = subprocess.run(["bash", "-c", cmd.replace("http://127.0.0.1:8787", url)], capture_output=True, text=True,
                           timeout=60, env=command_env(tmp_path, TOKEN=token))
        assert p.returncode == 0 and '"ok":true' in p.stdout.replace(" ", ""), (p.stdout, p.stderr)
        s.child.sendintr()
        assert s.wait_exit(30) == 0
    finally:
        s.kill()
