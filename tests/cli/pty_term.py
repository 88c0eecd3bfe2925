"""The installed `pichay-tui` in a pseudo-terminal: real keystrokes in, the screen read back through a VT emulator.

pexpect runs the command on a pty of a fixed size; pyte replays everything it writes (alternate screen, cursor moves,
colours) into a screen buffer, so a test reads rows the way a person sees them.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Callable

import pexpect
import pyte

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")
KEYS = {"right": "\x1b[C", "left": "\x1b[D", "up": "\x1b[A", "down": "\x1b[B", "home": "\x1b[H", "end": "\x1b[F",
        "enter": "\r", "escape": "\x1b", "tab": "\t", "space": " "}


def pichay_tui() -> str:
    """The console script pip installed beside the interpreter running the tests (what `./test.sh` installs)."""
    beside = Path(sys.executable).with_name("pichay-tui")
    found = str(beside) if beside.exists() else shutil.which("pichay-tui")
    assert found, "the pichay-tui command is not installed (pip install -e '.[test]')"
    return found


def command_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The user's environment with a private config and state folder, and the installed command first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEXTUAL"))}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", XDG_CONFIG_HOME=str(tmp / "config"),
               XDG_STATE_HOME=str(tmp / "state"), PATH=f"{Path(pichay_tui()).parent}{os.pathsep}{env.get('PATH', '')}",
               ANTHROPIC_API_KEY="", LANG="C.UTF-8")
    env.update(extra)
    return env


class Term:
    """One command on a pty of `cols`×`rows`."""

    def __init__(self, args: list[str], tmp: Path, cols: int = 160, rows: int = 48, cwd: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.child = pexpect.spawn(args[0], args[1:], dimensions=(rows, cols), cwd=cwd,
                                   env=env or command_env(tmp), timeout=5)
        self.exitstatus: int | None = None

    # ---- reading ----
    def pump(self, seconds: float = 0.1) -> None:
        """Read whatever the command wrote within `seconds` into the screen."""
        end = time.monotonic() + seconds
        while True:
            try:
                chunk = self.child.read_nonblocking(65536, timeout=max(0.0, min(0.05, end - time.monotonic())))
            except pexpect.TIMEOUT:
                chunk = b""
            except pexpect.EOF:
                return
            if chunk:
                self.raw += chunk
                self.stream.feed(chunk)
            elif time.monotonic() >= end:
                return

    def rows(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.rows())

    def plain(self) -> str:
        """Everything the command wrote, without escape sequences (for output longer than the screen)."""
        return ANSI.sub("", bytes(self.raw).decode("utf-8", "replace")).replace("\r\n", "\n")

    def wait_for(self, what: str | Callable[[str], bool], timeout: float = 60.0) -> str:
        """Pump until the screen shows `what` (a regex, or a predicate on the screen text); return the screen."""
        test = what if callable(what) else (lambda t: re.search(what, t) is not None)
        end = time.monotonic() + timeout
        while True:
            self.pump(0.1)
            text = self.text()
            if test(text):
                return text
            if not self.child.isalive() or time.monotonic() > end:
                raise AssertionError(f"screen never showed {what!r} (alive={self.child.isalive()}):\n{text}\n"
                                     f"--- raw tail ---\n{bytes(self.raw[-1500:])!r}")

    def settle(self, quiet: float = 0.4, timeout: float = 10.0) -> str:
        """Pump until the command has written nothing for `quiet` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            before = len(self.raw)
            self.pump(quiet)
            if len(self.raw) == before:
                break
        return self.text()

    # ---- writing ----
    def press(self, *keys: str, pause: float = 0.05) -> None:
        for k in keys:
            self.child.send(KEYS.get(k, k))
            # a lone ESC followed quickly by a key reads as Alt+key: leave the app's escape delay to pass
            self.pump(max(pause, 0.4) if k == "escape" else pause)

    # ---- ending ----
    def wait_exit(self, timeout: float = 30.0) -> int:
        """Pump until the command exits; its exit status (a signal death counts as 128+N)."""
        end = time.monotonic() + timeout
        while self.child.isalive() and time.monotonic() < end:
            self.pump(0.1)
        assert not self.child.isalive(), f"still running after {timeout}s:\n{self.text()}"
        self.pump(0.1)
        self.child.close()
        self.exitstatus = self.child.exitstatus if self.child.exitstatus is not None \
            else 128 + (self.child.signalstatus or 0)
        return self.exitstatus

    def kill(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
