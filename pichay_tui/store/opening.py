"""Opening --state-dir: refuse a read-only directory, turn a corrupt or unreadable store into one clear line, and
`--reset-state`, which moves the store aside (timestamp suffix, never deleted) so the proxy starts afresh.

Why here and not in SQLiteStore: a store that cannot be opened must never end in a raw traceback, and the way out
(the reset) has to run before SQLite touches the files.
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson

from ..core.errors import StartupError
from .sqlite import PersistentEngine, SQLiteStore

STORE_FILE = "pichay.sqlite3"
SIDE_FILES = ("", "-wal", "-shm")


def check_writable(state_dir: Path) -> None:
    """Create the directory if needed and prove we can write in it (root ignores mode bits, so ask the kernel)."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StartupError(f"cannot create state dir {state_dir}: {e.strerror or e}") from None
    if not state_dir.is_dir():
        raise StartupError(f"state dir {state_dir} is not a directory")
    probe = state_dir / f".pichay-write-test-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise StartupError(f"state dir {state_dir} is not writable ({e.strerror or e}): the store could not save "
                           "anything; give a writable --state-dir") from None


def move_aside(state_dir: Path) -> Path | None:
    """Rename the store (and its WAL files) to `pichay.sqlite3.reset-YYYYmmddTHHMMSSZ`; returns the new main path."""
    main = state_dir / STORE_FILE
    if not any((state_dir / (STORE_FILE + s)).exists() for s in SIDE_FILES):
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    n, suffix = 0, f".reset-{stamp}"
    while any((state_dir / (STORE_FILE + suffix + s)).exists() for s in SIDE_FILES):
        n += 1
        suffix = f".reset-{stamp}-{n}"
    for s in SIDE_FILES:
        src = state_dir / (STORE_FILE + s)
        if src.exists():
            src.rename(state_dir / (STORE_FILE + suffix + s))
    return main.with_name(STORE_FILE + suffix)


def open_persistent(state_dir: str | os.PathLike, make_engine, reset: bool = False) -> tuple[SQLiteStore, Any, Path | None]:
    """(store, engine resumed from it, where a reset moved the old store); StartupError with one line otherwise.

    `make_engine(store)` builds the engine on the store."""
    d = Path(state_dir)
    check_writable(d)
    moved = move_aside(d) if reset else None
    path = d / STORE_FILE
    store = None
    try:
        store = SQLiteStore(d)
        problem = store.db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if problem != "ok":
            raise sqlite3.DatabaseError(problem)
        engine = make_engine(store)
        persistent = PersistentEngine(engine, store)
        engine.on_change = persistent.checkpoint
    except (sqlite3.Error, orjson.JSONDecodeError, OSError, KeyError, TypeError, ValueError) as e:
        if store is not None:
            store.close()
        reason = str(e) or type(e).__name__
        if isinstance(e, sqlite3.OperationalError) and "readonly" in reason:
            raise StartupError(f"state store {path} is read-only ({reason}): give a writable --state-dir") from None
        raise StartupError(f"state store {path} is unreadable ({reason}); run again with --reset-state to move it "
                           f"aside (kept as {STORE_FILE}.reset-TIME) and start afresh") from None
    return store, engine, moved
