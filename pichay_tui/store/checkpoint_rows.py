"""A checkpoint as the rows it writes: serialized when it is taken (on the event loop), committed later by the store's
writer thread in one transaction.

Why bytes at once: serializing is the cheap, safe snapshot (~0.1 ms for a 700-turn session's rows; the engine goes on
changing its dicts and lists right after); committing them (and, before this, waiting for the writer to store the
content just evicted: 0.5 s for a 50 MB block) is what the event loop must not wait for.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(slots=True)
class Rows:
    """One checkpoint's rows: the engine row, then per touched session its meta, dirty pages, new faults and sweeps."""

    engine: bytes
    sessions: list[tuple[str, bytes, list[tuple[str, bytes]], list[tuple[int, bytes]], list[tuple[int, bytes]]]] = \
        field(default_factory=list)

    @property
    def sids(self) -> list[str]:
        return [s[0] for s in self.sessions]


def rows_of(checkpoint: dict[str, Any], last: dict[str, bytes]) -> Rows:
    """Serialize a Checkpointer.collect() result (call where it was collected: the engine's thread). The engine row
    is its counters plus the session index, which is serialized only when it changed (kept in `last`)."""
    if checkpoint.get("index") is not None:
        last["index"] = orjson.dumps(checkpoint["index"])
    counters, index = orjson.dumps(checkpoint["engine"]), last.get("index", b"{}")
    # one JSON object with both (their keys are disjoint): no re-serializing the index of 1,000s of sessions
    out = Rows(counters if index == b"{}" else counters[:-1] + b"," + index[1:])
    for sd in checkpoint["sessions"]:
        out.sessions.append((sd["meta"]["id"], orjson.dumps(sd["meta"], option=orjson.OPT_NON_STR_KEYS),
                             [(p["id"], orjson.dumps(p)) for p in sd["pages"]],
                             [(i, orjson.dumps(f)) for i, f in sd["faults"]],
                             [(i, orjson.dumps(w)) for i, w in sd["sweeps"]]))
    return out


def commit(db: sqlite3.Connection, batch: list[Rows], content: list[tuple[str, bytes]]) -> None:
    """Write checkpoints, oldest first, plus content rows they may reference, in one transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany("INSERT OR IGNORE INTO content VALUES (?, ?)", content)
        for rows in batch:
            db.execute("INSERT OR REPLACE INTO engine VALUES (1, ?)", (rows.engine,))
            for sid, meta, pages, faults, sweeps in rows.sessions:
                db.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?)", (sid, meta))
                db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?, ?)", [(sid, p, d) for p, d in pages])
                db.executemany("INSERT OR REPLACE INTO faults VALUES (?, ?, ?)", [(sid, i, d) for i, d in faults])
                db.executemany("INSERT OR REPLACE INTO sweeps VALUES (?, ?, ?)", [(sid, i, d) for i, d in sweeps])
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
