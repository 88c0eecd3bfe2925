"""SQLite backing store in --state-dir: evicted content by hash, page metadata, pins, faults, sweeps, epochs.

WAL mode; every checkpoint is one transaction, so a kill -9 leaves the last complete checkpoint.
"""
from __future__ import annotations

import sqlite3
from collections import OrderedDict
from pathlib import Path
from typing import Any

import orjson

from ..core.checkpoint import Checkpointer

SCHEMA = """
CREATE TABLE IF NOT EXISTS content (hash TEXT PRIMARY KEY, block BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS engine (id INTEGER PRIMARY KEY CHECK (id = 1), data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, meta BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pages (session TEXT NOT NULL, id TEXT NOT NULL, data BLOB NOT NULL,
                                  PRIMARY KEY (session, id));
CREATE TABLE IF NOT EXISTS faults (session TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
                                   PRIMARY KEY (session, seq));
CREATE TABLE IF NOT EXISTS sweeps (session TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
                                   PRIMARY KEY (session, seq));
"""


PENDING_MAX = 4_000_000     # bytes of evicted content held for the next checkpoint before it is written anyway


class SQLiteStore:
    """Implements the core's BackingStore and persists engine checkpoints."""

    def __init__(self, state_dir: str | Path, durable: bool = True, cache_blocks: int = 512) -> None:
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "pichay.sqlite3"
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # a temporary store (no --state-dir) only spills RAM: it need not survive a crash
        self.db.execute("PRAGMA synchronous=NORMAL" if durable else "PRAGMA synchronous=OFF")
        self.db.executescript(SCHEMA)
        self._pending: dict[str, bytes] = {}
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()   # recently used blocks, bounded
        self._cache_max = cache_blocks
        self._pending_bytes = 0

    # ---- BackingStore ----
    def put(self, content_hash: str, block: dict[str, Any]) -> None:
        if content_hash not in self._cache and content_hash not in self._pending:
            self._remember(content_hash, block)
            # an exact-size copy: orjson's own result keeps a ~256 KB allocation for any body over a few KB
            data = self._pending[content_hash] = bytes(memoryview(orjson.dumps(block)))
            self._pending_bytes += len(data)
            if self._pending_bytes > PENDING_MAX:
                self.flush_content()

    def flush_content(self) -> None:
        """Write pending content now. Safe before any checkpoint: rows are immutable and keyed by their hash."""
        if self._pending:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("INSERT OR IGNORE INTO content VALUES (?, ?)", list(self._pending.items()))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        self._pending.clear()
        self._pending_bytes = 0

    def get(self, content_hash: str) -> dict[str, Any] | None:
        block = self._cache.get(content_hash)
        if block is not None:
            self._cache.move_to_end(content_hash)
            return block
        pending = self._pending.get(content_hash)
        if pending is not None:
            block = orjson.loads(pending)
        else:
            row = self.db.execute("SELECT block FROM content WHERE hash = ?", (content_hash,)).fetchone()
            block = orjson.loads(row[0]) if row else None
        if block is not None:
            self._remember(content_hash, block)
        return block

    def _remember(self, content_hash: str, block: dict[str, Any]) -> None:
        """Keep a block at hand; the oldest fall out (they are in the database or still pending)."""
        self._cache[content_hash] = block
        while len(self._cache) > self._cache_max:
            self._cache.popitem(last=False)

    # ---- checkpoints ----
    def save(self, checkpoint: dict[str, Any]) -> None:
        """Write content put since the last save and the checkpoint, atomically."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR IGNORE INTO content VALUES (?, ?)", list(self._pending.items()))
            db.execute("INSERT OR REPLACE INTO engine VALUES (1, ?)", (orjson.dumps(checkpoint["engine"]),))
            for sd in checkpoint["sessions"]:
                sid = sd["meta"]["id"]
                db.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?)",
                           (sid, orjson.dumps(sd["meta"], option=orjson.OPT_NON_STR_KEYS)))
                db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?, ?)",
                               [(sid, p["id"], orjson.dumps(p)) for p in sd["pages"]])
                db.executemany("INSERT OR REPLACE INTO faults VALUES (?, ?, ?)",
                               [(sid, i, orjson.dumps(f)) for i, f in sd["faults"]])
                db.executemany("INSERT OR REPLACE INTO sweeps VALUES (?, ?, ?)",
                               [(sid, i, orjson.dumps(w)) for i, w in sd["sweeps"]])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._pending.clear()
        self._pending_bytes = 0

    def load(self) -> dict[str, Any]:
        """Everything needed by Checkpointer.restore."""
        db = self.db
        row = db.execute("SELECT data FROM engine WHERE id = 1").fetchone()
        out: dict[str, Any] = {"engine": orjson.loads(row[0]) if row else {}, "sessions": []}
        for sid, meta in db.execute("SELECT id, meta FROM sessions").fetchall():
            out["sessions"].append({
                "meta": orjson.loads(meta),
                "pages": [orjson.loads(r[0]) for r in db.execute("SELECT data FROM pages WHERE session = ?", (sid,))],
                "faults": [orjson.loads(r[0]) for r in
                           db.execute("SELECT data FROM faults WHERE session = ? ORDER BY seq", (sid,))],
                "sweeps": [orjson.loads(r[0]) for r in
                           db.execute("SELECT data FROM sweeps WHERE session = ? ORDER BY seq", (sid,))],
            })
        return out

    def load_session(self, sid: str) -> dict[str, Any] | None:
        """One session's rows (for bringing a spilled session back)."""
        db = self.db
        row = db.execute("SELECT meta FROM sessions WHERE id = ?", (sid,)).fetchone()
        if row is None:
            return None
        return {"meta": orjson.loads(row[0]),
                "pages": [orjson.loads(r[0]) for r in db.execute("SELECT data FROM pages WHERE session = ?", (sid,))],
                "faults": [orjson.loads(r[0]) for r in
                           db.execute("SELECT data FROM faults WHERE session = ? ORDER BY seq", (sid,))],
                "sweeps": [orjson.loads(r[0]) for r in
                           db.execute("SELECT data FROM sweeps WHERE session = ? ORDER BY seq", (sid,))]}

    def close(self) -> None:
        self.db.close()


class PersistentEngine:
    """Wires an engine to a SQLite store: restore at start, checkpoint after every change."""

    def __init__(self, engine, store: SQLiteStore) -> None:
        self.engine, self.store = engine, store
        self.checkpointer = Checkpointer(engine)
        self.checkpointer.restore(store.load())

    def checkpoint(self) -> None:
        self.store.save(self.checkpointer.collect())
