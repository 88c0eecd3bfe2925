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

from ..core.wire.jsonpieces import dumps_in_pieces
from .checkpoint_rows import Rows, commit, rows_of
from .persistent import PersistentEngine  # noqa: F401 - its home was here; importers still use this path
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

    Evicted content and checkpoints are written behind: `put` and `save` only queue; a writer thread with its own
    connection writes them in order, so the event loop never waits on that. `get` sees queued blocks; a checkpoint
    is committed after the content queued before it, so it never references content that is not in the database.
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
        self._queue: queue.Queue[str | Rows | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._wdb: sqlite3.Connection | None = None
        self.write_error: BaseException | None = None
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()   # recently used blocks, bounded
        self._cache_max = cache_blocks
        self._queued_sessions: dict[str, int] = {}        # session id -> its checkpoints not yet committed
        self._failed: list[Rows] = []                     # checkpoints whose commit failed: retried with the next
        self._last_index: dict[str, bytes] = {}           # the session index last serialized (checkpoint_rows)
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
        self._enqueue(content_hash)

    def _enqueue(self, item: str | Rows) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="pichay-store-writer", daemon=True)
            self._writer.start()
        self._queue.put(item)

    def _write_loop(self) -> None:
        """The writer thread: queued blocks and checkpoints, oldest first; None ends it."""
        self._wdb = self._connect(self._durable)
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if isinstance(item, Rows):
                    self._write_checkpoint(item)
                    continue
                with self._lock:
                    block = self._pending.get(item)
                if block is None:
                    continue
                try:
                    if self._wdb.execute("SELECT 1 FROM content WHERE hash = ?", (item,)).fetchone() is None:
                        self._wdb.execute("INSERT OR IGNORE INTO content VALUES (?, ?)", (item, serialize(block)))
                except Exception as e:  # noqa: BLE001 - kept pending (still readable); the checkpoint retries it
                    self.write_error = e
                    continue
                with self._lock:
                    self._pending.pop(item, None)
            finally:
                self._queue.task_done()

    def _write_checkpoint(self, rows: Rows) -> None:
        """Commit a checkpoint (after the content queued before it, FIFO) with blocks the writer failed on; if that
        fails, it is kept and committed with the next one (checkpoints are incremental: none may be skipped)."""
        with self._lock:
            stuck = list(self._pending.items())
        batch = self._failed + [rows]
        try:
            commit(self._wdb, batch, [(h, serialize(b)) for h, b in stuck])
        except Exception as e:  # noqa: BLE001 - kept for the next checkpoint; the engine goes on meanwhile
            self.write_error, self._failed = e, batch
            return
        finally:
            with self._lock:
                for sid in rows.sids:
                    self._queued_sessions[sid] -= 1
                    if not self._queued_sessions[sid]:
                        del self._queued_sessions[sid]
        self._failed = []
        with self._lock:
            for h, _ in stuck:
                self._pending.pop(h, None)

    def flush(self) -> None:
        """Wait until everything queued (blocks, checkpoints) is in the database (close, a restore, tests)."""
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
        """Queue a checkpoint: serialized now (a snapshot), committed by the writer thread in one transaction after
        the content queued before it, so the store never references content it lacks (see checkpoint_rows.py)."""
        rows = rows_of(checkpoint, self._last_index)
        with self._lock:
            for sid in rows.sids:
                self._queued_sessions[sid] = self._queued_sessions.get(sid, 0) + 1
        self._enqueue(rows)

    def checkpoint_queued(self, sid: str) -> bool:
        """A checkpoint of this session is still on its way to the database."""
        with self._lock:
            return sid in self._queued_sessions

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
        """One session's rows (for bringing a spilled session back; its last checkpoint is waited for if still
        queued, which proxy/warm.py does in a worker thread first)."""
        if self.checkpoint_queued(sid):
            self.flush()
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
        """Write what is queued, stop the writer, close the connections."""
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
