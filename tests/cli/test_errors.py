"""A crash is never exit 0, and bad input files get one line naming the file and what is wrong.

Crashes are injected into the real entry point (`pichay_tui.cli.main:main`, what the `pichay-tui` script calls) by a
`python -c` launcher that breaks one function first; the TUI one runs in a pseudo-terminal like a user's.
"""
from __future__ import annotations

import lzma
import subprocess
import sys
from pathlib import Path

import pytest

from pty_term import Term, command_env, pichay_tui

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_sessions"

BREAK_REPLAY_STATUS = ("import pichay_tui.ui.replay.host as m\n"
                       "def boom(self): raise RuntimeError('injected failure\\nsecond line')\n"
                       "m.ReplayHost.status_line = boom\n")
BREAK_ANALYZE = ("import pichay_tui.core.lab.analysis as m\n"
                 "def boom(*a, **k): raise KeyError('injected')\n"
                 "m.analyze = boom\n")


def launcher(breakage: str, argv: list[str]) -> list[str]:
    return [sys.executable, "-c", f"{breakage}from pichay_tui.cli.main import main\nmain({argv!r})"]


def crash_log(stderr: str) -> Path:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{stderr}"
    assert lines[0].startswith("pichay-tui: crashed: ") and "traceback in " in lines[0], lines[0]
    path = Path(lines[0].rsplit("traceback in ", 1)[1].strip())
    assert path.is_file(), path
    return path


def test_a_crash_inside_the_replay_tui_exits_70_with_one_line_and_a_log(tmp_path):
    t = Term(launcher(BREAK_REPLAY_STATUS, ["replay", "sample_sessions/coding.jsonl"]), tmp_path, cwd=str(REPO))
    try:
        assert t.wait_exit(60) == 70
    finally:
        t.kill()
    out = t.raw.decode("utf-8", "replace")
    tail = out[out.rfind("pichay-tui: crashed"):]
    assert tail.startswith("pichay-tui: crashed: RuntimeError: injected failure — traceback in "), tail
    assert "second line" not in tail and "╭" not in tail          # one line, not Textual's screenful of locals
    log = Path(tail.split("traceback in ", 1)[1].split()[0].strip())
    assert log.parent == tmp_path / "state" / "pichay-tui"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "in boom" in text and "RuntimeError" in text


def test_a_crash_in_a_headless_command_exits_70_with_one_line_and_a_log(tmp_path):
    p = subprocess.run(launcher(BREAK_ANALYZE, ["analyze", "sample_sessions/coding.jsonl"]), cwd=REPO,
                       capture_output=True, text=True, env=command_env(tmp_path), timeout=120)
    assert p.returncode == 70 and p.stdout == ""
    log = crash_log(p.stderr)
    assert "KeyError: 'injected'" in p.stderr and "KeyError" in log.read_text()


def test_the_log_falls_back_to_the_temp_folder_when_the_state_folder_is_not_writable(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    (tmp_path / "tmp").mkdir()
    p = subprocess.run(launcher(BREAK_ANALYZE, ["analyze", "sample_sessions/coding.jsonl"]), cwd=REPO,
                       capture_output=True, text=True, timeout=120,
                       env=command_env(tmp_path, XDG_STATE_HOME=str(blocked), TMPDIR=str(tmp_path / "tmp")))
    assert p.returncode == 70
    assert crash_log(p.stderr).is_relative_to(tmp_path / "tmp")


# ---- bad input files ----
def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    long_xz = (SAMPLES / "long_thrash.jsonl.xz").read_bytes()
    coding = (SAMPLES / "coding.jsonl").read_bytes()
    lines = coding.splitlines(keepends=True)
    files = {
        "truncated-xz": ("cut.jsonl.xz", long_xz[: len(long_xz) // 3], r"cut\.jsonl\.xz: truncated xz data"),
        "corrupt-xz": ("noise.jsonl.xz", b"\xfd7zXZ\x00" + bytes(range(256)) * 8, r"noise\.jsonl\.xz: corrupt xz data"),
        "empty": ("empty.jsonl", b"", r"empty\.jsonl: empty file"),
        "random": ("random.jsonl", bytes((i * 7919) % 251 for i in range(4000)), r"random\.jsonl: not JSON lines"),
        "text": ("notes.txt", b"just some notes\nnot a session\n", r"notes\.txt: not JSON lines"),
        "foreign-json": ("other.jsonl", b'{"hello": 1}\n{"world": 2}\n', r"other\.jsonl: unknown format"),
        "cut-first-request": ("early.jsonl", coding[:20000], r"early\.jsonl: no Messages API requests"),
        "corrupt-middle": ("mid.jsonl", b"".join(lines[:5] + [b"{oops\n"] + lines[5:]), r"mid\.jsonl:6: not JSON"),
    }
    out = {}
    for key, (name, data, expect) in files.items():
        (tmp / name).write_bytes(data)
        out[key] = (tmp / name, expect)
    (tmp / "folder").mkdir()
    (tmp / "folder" / "notes.md").write_text("hi")
    out["folder"] = (tmp / "folder", r"folder: a folder with no session in it")
    return out


BAD = ["truncated-xz", "corrupt-xz", "empty", "random", "text", "foreign-json", "cut-first-request",
       "corrupt-middle", "folder"]


@pytest.mark.parametrize("command", [["analyze"], ["replay"], ["replay", "--headless"]])
@pytest.mark.parametrize("kind", BAD)
def test_bad_input_files_get_one_line_naming_the_file(tmp_path, command, kind):
    import re

    path, expect = _bad_inputs(tmp_path)[kind]
    p = subprocess.run([pichay_tui(), *command, path.name], cwd=tmp_path, capture_output=True, text=True,
                       env=command_env(tmp_path), timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), p.stderr
    assert re.search(expect, lines[0]), lines[0]
    assert "Traceback" not in p.stderr + p.stdout
    assert not list((tmp_path / "state").glob("**/crash-*"))


def test_a_cut_last_line_is_a_warning_and_the_frames_before_it_are_used(tmp_path):
    coding = (SAMPLES / "coding.jsonl").read_bytes()
    lines = coding.splitlines(keepends=True)
    cut = b"".join(lines[:20]) + lines[20][: len(lines[20]) // 2]
    (tmp_path / "cut.jsonl").write_bytes(cut)
    with lzma.open(tmp_path / "cut.jsonl.xz", "wb") as f:           # the same, compressed
        f.write(cut)
    for name in ("cut.jsonl", "cut.jsonl.xz"):
        p = subprocess.run([pichay_tui(), "replay", "--headless", name], cwd=tmp_path, capture_output=True,
                           text=True, env=command_env(tmp_path), timeout=120)
        assert p.returncode == 0, p.stderr
        warn = p.stderr.strip().splitlines()
        assert len(warn) == 1 and warn[0].startswith(f"warning: {name}:21: last line cut off"), p.stderr
        frames = [line for line in p.stdout.splitlines() if line.startswith("#")]
        assert len(frames) == 10                          # the 10 requests written before the cut one
        a = subprocess.run([pichay_tui(), "analyze", "--json", name], cwd=tmp_path, capture_output=True,
                           text=True, env=command_env(tmp_path), timeout=120)
        assert a.returncode == 0 and "last line cut off" in a.stderr
        import json

        assert json.loads(a.stdout)["totals"]["requests"] == 10


def test_analyze_over_a_glob_skips_a_non_session_file_with_a_warning(tmp_path):
    p = subprocess.run(f"{pichay_tui()} analyze sample_sessions/* --no-bound", shell=True, cwd=REPO,
                       capture_output=True, text=True, env=command_env(tmp_path), timeout=300)
    assert p.returncode == 0, p.stderr
    assert "warning: sample_sessions/README.md: skipped, not a session file" in p.stderr
    for name in ("coding.jsonl", "long_thrash.jsonl.xz", "subagents.jsonl", "cooperative.jsonl"):
        assert f"sample_sessions/{name}" in p.stdout
    # alone, the same file is an error; and a broken session file in a glob is never skipped silently
    alone = subprocess.run([pichay_tui(), "analyze", "sample_sessions/README.md"], cwd=REPO, capture_output=True,
                           text=True, env=command_env(tmp_path), timeout=60)
    assert alone.returncode == 1 and "README.md: not JSON lines" in alone.stderr
    (tmp_path / "good.jsonl").write_bytes((SAMPLES / "coding.jsonl").read_bytes())
    (tmp_path / "bad.jsonl").write_bytes(b"\x00\x01garbage")
    mixed = subprocess.run(f"{pichay_tui()} analyze *.jsonl", shell=True, cwd=tmp_path, capture_output=True,
                           text=True, env=command_env(tmp_path), timeout=60)
    assert mixed.returncode == 1 and "bad.jsonl: not JSON lines" in mixed.stderr


def test_a_reference_proxy_log_cut_mid_line_is_a_warning_too(tmp_path, captures):
    lines = (captures / "pichay-legacy" / "test_author_run1" / "proxy.jsonl").read_bytes().splitlines(keepends=True)
    reqs = [i for i, line in enumerate(lines) if line.startswith(b'{"type": "request"')]
    cut_at = reqs[5]                                            # the 6th request is cut off mid-line
    (tmp_path / "proxy.jsonl").write_bytes(b"".join(lines[:cut_at]) + lines[cut_at][:4000])
    p = subprocess.run([pichay_tui(), "replay", "--headless", "proxy.jsonl"], cwd=tmp_path, capture_output=True,
                       text=True, env=command_env(tmp_path), timeout=120)
    assert p.returncode == 0, p.stderr
    assert f"proxy.jsonl:{cut_at + 1}: truncated last line skipped" in p.stderr
    assert len([line for line in p.stdout.splitlines() if line.startswith("#")]) == 5
