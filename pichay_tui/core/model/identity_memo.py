"""Facts derived from parsed request objects (hashes, fingerprints), found again by identity on the next request.

Why: the incremental parse (core/wire/incremental.py) hands out the *same* objects for the parts of a body that did
not change (the tool definitions, the system prompt, the resent history), so a fact computed from one of them last
request still holds. Re-hashing Claude Code's ~60 KB of tool definitions on every request costs ~0.1 ms.
Sound because nothing changes a parsed body in place (the parse cache relies on the same rule, and
tests/core/test_incremental_parse.py checks it over real captures), and an entry holds its object, so its id is never
reused while the entry lives. Bounded by the approximate size of the objects it holds, least recently used out.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable


class IdentityMemo:
    """(id(obj), fact) -> value, for at most `budget` bytes of remembered objects (sizes as the caller estimates)."""

    def __init__(self, budget: int = 2_000_000, max_entries: int = 4096) -> None:
        self.budget, self.max_entries = budget, max_entries
        self.size = 0
        self._entries: OrderedDict[tuple[int, str], tuple[Any, Any, int]] = OrderedDict()

    def get(self, obj: Any, fact: str) -> Any:
        """The remembered value, or None."""
        e = self._entries.get((id(obj), fact))
        if e is None or e[0] is not obj:
            return None
        self._entries.move_to_end((id(obj), fact))
        return e[1]

    def put(self, obj: Any, fact: str, value: Any, size: int) -> Any:
        """Remember `value` for `obj` (nothing bigger than a quarter of the budget); returns `value`."""
        if size > self.budget // 4:
            return value
        key = (id(obj), fact)
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= old[2]
        self._entries[key] = (obj, value, size)
        self.size += size
        while self.size > self.budget or len(self._entries) > self.max_entries:
            _, (_, _, n) = self._entries.popitem(last=False)
            self.size -= n
        return value

    def remember(self, obj: Any, fact: str, compute: Callable[[], tuple[Any, int]]) -> Any:
        """The remembered value, or `compute()`'s (value, size), remembered (values are never None)."""
        value = self.get(obj, fact)
        return value if value is not None else self.put(obj, fact, *compute())

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0

    def __len__(self) -> int:
        return len(self._entries)
