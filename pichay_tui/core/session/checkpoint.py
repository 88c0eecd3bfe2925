"""Incremental checkpoints of an engine: what changed since the last one, as plain dicts a store can write.

A store keeps the engine row as one object: `engine` (counters) merged with the last `index` it was given."""
from __future__ import annotations

from typing import Any

from .snapshot import dump_meta, load_session, page_to_dict


class Checkpointer:
    """Tracks how much of each session's append-only history (faults, sweeps) was already written."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._faults: dict[str, int] = {}
        self._sweeps: dict[str, int] = {}
        self._index_mark: tuple[int, int] | None = None

    def collect(self) -> dict[str, Any]:
        eng = self.engine
        d = eng.directory
        # "index" (every session's identity keys, O(all sessions ever seen)) only when it changed, else None: it
        # only grows, by a new key (a known key never moves to another session), so its length tells
        mark = (id(d.by_fp), len(d.by_fp))
        index = None if mark == self._index_mark else d.checkpoint_index()
        self._index_mark = mark
        out: dict[str, Any] = {"engine": {"side_requests": eng.side_requests, "failures": eng.failures,
                                          "seq": eng.bus.seq}, "index": index, "sessions": []}
        for sid in sorted(eng.bus.touched):
            s = eng.sessions.get(sid)
            if s is None:
                continue
            nf, ns = self._faults.get(sid, 0), self._sweeps.get(sid, 0)
            start = max(0, ns - 1)                     # the last sweep may have gained its observed cache cost
            out["sessions"].append({
                "meta": dump_meta(s),
                "pages": [page_to_dict(s.pages[p]) for p in sorted(s.dirty) if p in s.pages],
                "faults": [(nf + i, f.to_dict()) for i, f in enumerate(s.faults[nf:])],
                "sweeps": [(start + i, w) for i, w in enumerate(s.sweeps[start:])],
            })
            self._faults[sid], self._sweeps[sid] = len(s.faults), len(s.sweeps)
            s.dirty.clear()
        eng.bus.touched.clear()
        return out

    def restore(self, data: dict[str, Any]) -> None:
        """Load a full store dump (engine index + every session's rows) into the engine."""
        eng = self.engine
        e = data.get("engine") or {}
        eng.directory.restore_index(e)
        eng.side_requests, eng.failures = e.get("side_requests", 0), e.get("failures", 0)
        eng.bus.seq = e.get("seq", 0)
        for sd in data.get("sessions", []):
            s = load_session(sd["meta"], sd["pages"], sd["faults"], sd["sweeps"], eng.config, eng.counter,
                             eng.bus.emit, eng.store)
            eng.sessions[s.id] = s
            self._faults[s.id], self._sweeps[s.id] = len(s.faults), len(s.sweeps)
