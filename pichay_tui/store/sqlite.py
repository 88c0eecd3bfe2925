"""SQLite backing store in --state-dir: evicted content by hash, page metadata, pins, faults, sweeps, epochs.

WAL mode; every checkpoint is one transaction, so a kill -9 leaves the last complete checkpoint.
"""
from __future__ import annotations

import queue
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import orjson

from ..core.session.checkpoint import Checkpointer
from ..core.wire.jsonpieces import dumps_in_pieces
from .read_ahead import ReadAhead

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


def serialize(block: dict[str, Any]) -> bytes:
    """A content row, serialized in pieces (the writer thread never holds the GIL for a whole big block)."""
    return dumps_in_pieces(block)


class SQLiteStore(ReadAhead):
    """Implements the core's BackingStore and persists engine checkpoints.

    Evicted content is written behind: `put` only queues the block; a writer thread with its own connection
    serializes it and inserts it, so the event loop never waits on that. `get` sees queued blocks; a
    checkpoint first waits for the queue, so it never references content that is not in the database.
    """

    def __init__(self, state_dir: str | Path, durable: bool = True, cache_blocks: int = 512) -> None:
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "pichay.sqlite3"
        self.db = self._connect(durable)
        self.db.executescript(SCHEMA)
        self._durable = durable
        self._lock = threading.Lock()
        self._pending: dict[str, dict[str, Any]] = {}    # queued for the writer, not yet committed
        self._known: set[str] = set()                     # hashes written or queued by this process
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._wdb: sqlite3.Connection | None = None
        self.write_error: BaseException | None = None
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()   # recently used blocks, bounded
        self._cache_max = cache_blocks
        self._read_lock = threading.Lock()                # the read-ahead connection, one worker at a time
        self._rdb: sqlite3.Connection | None = None

    def _connect(self, durable: bool) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        # a temporary store (no --state-dir) only spills RAM: it need not survive a crash
        db.execute("PRAGMA synchronous=NORMAL" if durable else "PRAGMA synchronous=OFF")
        return db

    # ---- BackingStore ----
    def put(self, content_hash: str, block: dict[str, Any]) -> None:
        if content_hash in self._known:
            return
        self._known.add(content_hash)
        self._remember(content_hash, block)
        with self._lock:
            self._pending[content_hash] = block
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="pichay-store-writer", daemon=True)
            self._writer.start()
        self._queue.put(content_hash)

    def _write_loop(self) -> None:
        """The writer thread: serialize and insert queued blocks, oldest first; None ends it."""
        self._wdb = self._connect(self._durable)
        while True:
            h = self._queue.get()
            try:
                if h is None:
                    return
                with self._lock:
                    block = self._pending.get(h)
                if block is None:
                    continue
                try:
                    if self._wdb.execute("SELECT 1 FROM content WHERE hash = ?", (h,)).fetchone() is None:
                        self._wdb.execute("INSERT OR IGNORE INTO content VALUES (?, ?)", (h, serialize(block)))
                except Exception as e:  # noqa: BLE001 - kept pending (still readable); the checkpoint retries it
                    self.write_error = e
                    continue
                with self._lock:
                    self._pending.pop(h, None)
            finally:
                self._queue.task_done()

    def flush_content(self) -> None:
        """Wait until every queued block is in the database (a checkpoint, close, or a test needs that)."""
        if self._writer is not None:
            self._queue.join()

    def get(self, content_hash: str) -> dict[str, Any] | None:
        block = self._at_hand(content_hash)
        if block is None:
            row = self.db.execute("SELECT block FROM content WHERE hash = ?", (content_hash,)).fetchone()
            block = orjson.loads(row[0]) if row else None
            if block is not None:
                self._remember(content_hash, block)
        return block

    def has(self, content_hash: str) -> bool:
        """Whether the block is held, without reading (or parsing) it: a 50 MB block costs ~150 ms to get."""
        if content_hash in self._known or self._at_hand(content_hash) is not None:
            return True
        return self.db.execute("SELECT 1 FROM content WHERE hash = ?", (content_hash,)).fetchone() is not None

    def _at_hand(self, content_hash: str) -> dict[str, Any] | None:
        """A cached or still pending block (safe from any thread)."""
        with self._lock:
            block = self._cache.get(content_hash)
            if block is not None:
                self._cache.move_to_end(content_hash)
                return block
            return self._pending.get(content_hash)

    def _remember(self, content_hash: str, block: dict[str, Any]) -> None:
        """Keep a block at hand; the oldest fall out (they are in the database or still pending)."""
        with self._lock:
            self._cache[content_hash] = block
            while len(self._cache) > self._cache_max:
                self._cache.popitem(last=False)

    # ---- checkpoints ----
    def save(self, checkpoint: dict[str, Any]) -> None:
        """Write the checkpoint in one transaction, after the content it may reference is in the database."""
        self.flush_content()
        with self._lock:
            stuck = list(self._pending.items())     # the writer failed on these: try once more, here
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR IGNORE INTO content VALUES (?, ?)",
                           [(h, serialize(b)) for h, b in stuck])
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
        with self._lock:
            for h, _ in stuck:
                self._pending.pop(h, None)

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
        """Write what is queued, stop the writer, close both connections."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None
        if self._wdb is not None:
            self._wdb.close()
            self._wdb = None
        with self._read_lock:
            if self._rdb is not None:
                self._rdb.close()
                self._rdb = None
        self.db.close()


class PersistentEngine:
    """Wires an engine to a SQLite store: restore at start, checkpoint after every change."""

    def __init__(self, engine, store: SQLiteStore) -> None:
        self.engine, self.store = engine, store
        self.checkpointer = Checkpointer(engine)
        self.checkpointer.restore(store.load())

    def checkpoint(self) -> None:
        self.store.save(self.checkpointer.collect())
