"""Per-session locks around the engine step, taken only when that step may await a worker thread.

Why: a big request awaits precompute and encode threads around its engine step; a second request of the same session
must not run its step in between (it would see the session mid-change, and share the splice memo with a running
thread). Small requests have no await there: they only wait while a big one runs.
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable


class SessionLocks:
    """session id -> [asyncio.Lock, requests using it]; an entry lives only while a request uses it."""

    def __init__(self, find_session: Callable[[Any, dict[str, str]], Any]) -> None:
        self.find_session = find_session
        self.entries: dict[str, list] = {}

    async def lock(self, body: Any, headers: dict[str, str], big: bool) -> str:
        """Take the session's lock when its step may await (a big body), or another request of it holds the lock;
        returns the session id to unlock, or ""."""
        if not (big or self.entries) or not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return ""
        try:
            s = self.find_session(body, headers)
        except Exception:  # noqa: BLE001 - a guess only; the engine step reports real problems
            return ""
        if s is None or (not big and s.id not in self.entries):
            return ""
        entry = self.entries.setdefault(s.id, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            await entry[0].acquire()
        except BaseException:
            self.unlock(s.id, held=False)
            raise
        return s.id

    def unlock(self, sid: str, held: bool = True) -> None:
        entry = self.entries[sid]
        if held:
            entry[0].release()
        entry[1] -= 1
        if not entry[1]:
            del self.entries[sid]
