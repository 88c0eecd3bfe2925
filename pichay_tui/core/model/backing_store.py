"""Backing store for evicted content, keyed by content hash; the in-memory one here, SQLite in the proxy layer."""
from __future__ import annotations

from typing import Any, Protocol


class BackingStore(Protocol):
    def put(self, content_hash: str, block: dict[str, Any]) -> None: ...
    def get(self, content_hash: str) -> dict[str, Any] | None: ...
    def has(self, content_hash: str) -> bool: ...     # without reading the block (a big one is costly to get)


class MemoryStore:
    """Keeps evicted blocks in a dict; identical content is stored once."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}

    def put(self, content_hash: str, block: dict[str, Any]) -> None:
        self._data.setdefault(content_hash, block)

    def get(self, content_hash: str) -> dict[str, Any] | None:
        return self._data.get(content_hash)

    def has(self, content_hash: str) -> bool:
        return content_hash in self._data

    def __len__(self) -> int:
        return len(self._data)
