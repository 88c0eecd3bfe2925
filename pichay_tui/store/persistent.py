"""Wiring an engine to its SQLite store: restore at start, a checkpoint after every change (written behind)."""
from __future__ import annotations

from typing import Any

from ..core.session.checkpoint import Checkpointer


class PersistentEngine:
    """Restores `engine` from `store` and checkpoints it on every change; a write the store's writer thread failed
    is reported on the engine's timeline (the next checkpoint retries it, see SQLiteStore._write_checkpoint)."""

    def __init__(self, engine: Any, store: Any) -> None:
        self.engine, self.store = engine, store
        self.checkpointer = Checkpointer(engine)
        self.checkpointer.restore(store.load())

    def checkpoint(self) -> None:
        self.store.save(self.checkpointer.collect())
        error, self.store.write_error = self.store.write_error, None
        if error is not None:
            self.engine.record_failure("store", f"state store write failed: {type(error).__name__}: {error}")
