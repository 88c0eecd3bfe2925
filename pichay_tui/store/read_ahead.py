"""Reading evicted blocks ahead, in a worker thread, so the event loop's `get` finds them parsed and at hand.

Why: a 50 MB block costs ~150 ms to read from SQLite and parse; the proxy learns which blocks a step will need
(core/paging/wanted.py) and calls these from a worker thread before the step (proxy/warm.py).
"""
from __future__ import annotations

import orjson

from ..core.wire.parse import loads_in_pieces


class ReadAhead:
    """Mixed into SQLiteStore: uses its `_at_hand`, `_remember`, `_connect`, `_durable`, `_read_lock`, `_rdb`,
    `checkpoint_queued` and `flush`."""

    def missing(self, hashes: list[str]) -> list[str]:
        """Those of `hashes` a `get` would have to read from the database."""
        return [h for h in hashes if self._at_hand(h) is None]

    def prefetch(self, hashes: list[str]) -> None:
        """Read and parse these blocks into the cache (call from a worker thread, own connection), so the event
        loop's `get` finds them at hand. A block is parsed in pieces: no single parser call holds the GIL for it."""
        with self._read_lock:
            if self._rdb is None:
                self._rdb = self._connect(self._durable)
            for h in self.missing(hashes):
                row = self._rdb.execute("SELECT block FROM content WHERE hash = ?", (h,)).fetchone()
                if row is not None:
                    self._remember(h, loads_in_pieces(row[0]))   # in pieces: the loop gets the GIL between

    def prefetch_session(self, sid: str) -> None:
        """The blocks a spilled session's outbound serves (its overrides) are read ahead, as `prefetch`; its last
        checkpoint, if still queued, is waited for here (off the loop) rather than by the restore."""
        if self.checkpoint_queued(sid):
            self.flush()
        with self._read_lock:
            if self._rdb is None:
                self._rdb = self._connect(self._durable)
            row = self._rdb.execute("SELECT meta FROM sessions WHERE id = ?", (sid,)).fetchone()
        refs = (orjson.loads(row[0]).get("overrides") or {}).values() if row else ()
        self.prefetch([r[1] for r in refs if isinstance(r, list) and len(r) == 2])
