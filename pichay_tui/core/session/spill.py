"""Idle sessions leave RAM: a dict of resident sessions that brings a spilled one back from the store on access.

Why a dict subclass: every engine path looks sessions up by id (`sessions[sid]`, `sessions.get(sid)`); a spilled
session comes back on any such lookup, intact (snapshot.load_session rebuilds it from its checkpoint rows), so no
caller needs to know about spilling. Iteration sees resident sessions only; `spilled` holds a small summary of the
others for the state snapshot.
"""
from __future__ import annotations

from typing import Any, Protocol

from .snapshot import load_session


class SpillStore(Protocol):
    def load_session(self, sid: str) -> dict[str, Any] | None: ...


class SessionTable(dict):
    """Resident sessions by id; `trim()` spills the least recently used idle ones beyond `limit` (0: never)."""

    def __init__(self, engine: Any) -> None:
        super().__init__()
        self._engine = engine
        self.store: SpillStore | None = None
        self.limit = 0
        self.spilled: dict[str, dict[str, Any]] = {}     # id -> summary (the state snapshot without pages)
        self.busy: dict[str, int] = {}                   # id -> requests sent upstream and not yet answered
        self.spills = self.restores = 0
        self.save = None          # checkpoints touched sessions before they leave (else the engine's on_change)

    def __missing__(self, sid: str):
        s = self._restore(sid)
        if s is None:
            raise KeyError(sid)
        return s

    def get(self, sid, default=None):
        s = dict.get(self, sid)
        if s is None:
            s = self._restore(sid)
        return default if s is None else s

    def __contains__(self, sid) -> bool:
        return dict.__contains__(self, sid) or sid in self.spilled

    def _restore(self, sid: Any):
        if sid not in self.spilled or self.store is None:
            return None
        rows = self.store.load_session(sid)
        if rows is None:
            return None
        eng = self._engine
        s = load_session(rows["meta"], rows["pages"], rows["faults"], rows["sweeps"], eng.config, eng.counter,
                         eng.bus.emit, eng.store)
        del self.spilled[sid]
        dict.__setitem__(self, sid, s)
        self.restores += 1
        return s

    def enter(self, sid: str) -> None:
        """A request of `sid` is on its way upstream: the session must stay resident until `leave(sid)`."""
        self.busy[sid] = self.busy.get(sid, 0) + 1

    def leave(self, sid: str) -> None:
        """One of `sid`'s requests ended (answered, failed, abandoned); unknown or idle ids are ignored."""
        n = self.busy.pop(sid, 0) - 1
        if n > 0:
            self.busy[sid] = n

    def trim(self, keep: str = "") -> None:
        """Spill idle sessions, oldest first, until at most `limit` stay resident; each is checkpointed first."""
        if not self.limit or self.store is None or dict.__len__(self) <= self.limit:
            return
        eng = self._engine
        idle = sorted((s for sid, s in dict.items(self) if sid != keep and not self.busy.get(sid)),
                      key=lambda s: s.last_ts)
        excess = dict.__len__(self) - self.limit
        victims = idle[:excess]
        if not victims:
            return
        save = self.save or eng.on_change
        if eng.bus.touched & {s.id for s in victims} and save is not None:
            save()                                   # their latest changes reach the store before they leave RAM
        for s in victims:
            if s.id in eng.bus.touched:                  # no checkpointing store: keep it rather than lose it
                continue
            self.spilled[s.id] = {**eng.session_state(s, pages=False), "resident": False}
            dict.__delitem__(self, s.id)
            self.spills += 1
