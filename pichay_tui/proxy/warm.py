"""Stored blocks an engine step is about to read are read ahead in a worker thread, so the step finds them at hand.

Why: reading a 50 MB evicted block back from SQLite and parsing it costs ~150 ms; on the event loop that stalls every
other session and the control API. core/paging/wanted.py names the blocks (a guess: one it misses is still read, by
the step, on the loop); the store reads them (store/read_ahead.py). Nothing here may fail a request.
"""
from __future__ import annotations

import asyncio
from typing import Any

from ..core.paging import wanted


async def _read_ahead(store: Any, hashes: list[str]) -> None:
    missing = store.missing(hashes)
    if missing:
        await asyncio.to_thread(store.prefetch, missing)


async def before_request(engine: Any, body: Any, headers: dict[str, str], big: int) -> bool:
    """Read ahead what this request's step will serve from the store (the blocks of a spilled session's served
    notices, the evicted reads new "unchanged" notices stand for); True when the outbound will carry at least
    `big` bytes of stored content (then it is encoded, and recorded, off the loop like a big body)."""
    store = getattr(engine, "store", None)
    if not hasattr(store, "prefetch") or not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return False
    try:
        sid = engine.directory.known_id(body, headers) if engine.sessions.spilled else None
        if sid and sid in engine.sessions.spilled:
            await asyncio.to_thread(store.prefetch_session, sid)
        s = engine.find_session(body, headers)
        pages = wanted.for_request(s, body["messages"])
        await _read_ahead(store, [p.content_hash for p in pages])
        return wanted.served_bytes(s) + sum(p.bytes for p in pages) >= big
    except Exception:  # noqa: BLE001 - a guess only: the step reads what it needs itself
        return False


async def before_phantom(engine: Any, sid: str, calls: list[dict[str, Any]]) -> None:
    """Read ahead the pages the model's memory_fault calls name (answered from the store right after)."""
    store = getattr(engine, "store", None)
    if not hasattr(store, "prefetch"):
        return
    try:
        await _read_ahead(store, [p.content_hash for p in wanted.for_phantom(engine.sessions.get(sid), calls)])
    except Exception:  # noqa: BLE001 - a guess only
        pass
