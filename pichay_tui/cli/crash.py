"""Unhandled exceptions in any command: one line on stderr, the traceback in a log file, exit status 70.

Why: Textual apps catch exceptions themselves, print a screen-sized traceback and return normally from `App.run()`,
so a crashed TUI used to leave the shell with exit status 0. `run_app` turns such a crash back into an exception,
and `main` reports every exception the same way (EX_SOFTWARE, as a crash is not a user error).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

CRASH_EXIT = 70


def log_dir() -> Path:
    """$XDG_STATE_HOME/pichay-tui (default ~/.local/state/pichay-tui); the temp folder if that is not writable."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    for d in (Path(base) / "pichay-tui", Path(tempfile.gettempdir()) / "pichay-tui"):
        try:
            d.mkdir(parents=True, exist_ok=True)
            if os.access(d, os.W_OK):
                return d
        except OSError:
            continue
    return Path(tempfile.gettempdir())


def write_log(exc: BaseException, argv: list[str] | None = None) -> Path:
    """Write the traceback (and the command line) to a new file; return its path."""
    path = log_dir() / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    from ..core.model.redact import redact_argv, redact_text

    with open(path, "w", encoding="utf-8") as f:         # no token or ?key= in it: a log is a file we write
        f.write(f"pichay-tui {' '.join(redact_argv(argv if argv is not None else sys.argv[1:]))}\n\n")
        f.write(redact_text("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))))
    return path


def report(exc: BaseException, argv: list[str] | None = None) -> int:
    """Print the one-line message for an unhandled exception and return the exit status."""
    from ..core.model.redact import redact_text

    first = redact_text((str(exc).strip().splitlines() or [""])[0])
    what = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    try:
        where = f"traceback in {write_log(exc, argv)}"
    except OSError as e:                                   # the log could not be written: say so, still one line
        where = f"(could not write the traceback: {e})"
    print(f"pichay-tui: crashed: {what} — {where}", file=sys.stderr, flush=True)
    return CRASH_EXIT


def _drop_typeahead() -> None:
    """Discard keys typed but not read by the app (during startup, or while it shut down): otherwise the shell runs
    them after we exit."""
    try:
        import termios

        if sys.stdin.isatty():
            termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
    except (ImportError, OSError, ValueError):
        pass


def run_app(app: Any) -> Any:
    """Run a Textual app as every TUI command does: re-raise the exception it crashed with (its own traceback print
    is suppressed), turn a non-zero return code into SystemExit, and leave no stray typeahead before or after it."""
    original = app._print_error_renderables

    def quiet() -> None:
        if app._exception is not None:                    # reported once by `report`, not as a screenful of locals
            app._exit_renderables.clear()
        else:
            original()

    app._print_error_renderables = quiet
    _drop_typeahead()
    try:
        result = app.run()
    finally:
        _drop_typeahead()
    if app._exception is not None:
        raise app._exception
    if app.return_code:
        raise SystemExit(app.return_code)
    return result
