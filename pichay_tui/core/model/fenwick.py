"""A growable Fenwick tree of token counts by block position, for O(log n) "tokens after block k" queries."""
from __future__ import annotations


class Fenwick:
    def __init__(self) -> None:
        self._tree: list[int] = [0]
        self._vals: list[int] = []
        self.total = 0

    def __len__(self) -> int:
        return len(self._vals)

    def append(self, value: int) -> int:
        """Add a value at the next position and return that position."""
        pos = len(self._vals)
        self._vals.append(0)
        i = pos + 1
        # new node covers (i - lowbit(i), i]: seed it with the sum of the range below it
        lo = i - (i & -i)
        self._tree.append(self._prefix(i - 1) - self._prefix(lo))
        self.set(pos, value)
        return pos

    def set(self, pos: int, value: int) -> None:
        delta = value - self._vals[pos]
        if not delta:
            return
        self._vals[pos] = value
        self.total += delta
        i = pos + 1
        n = len(self._vals)
        while i <= n:
            self._tree[i] += delta
            i += i & -i

    def _prefix(self, i: int) -> int:
        s = 0
        while i > 0:
            s += self._tree[i]
            i -= i & -i
        return s

    def before(self, pos: int) -> int:
        """Sum of values at positions < pos."""
        return self._prefix(pos)

    def from_(self, pos: int) -> int:
        """Sum of values at positions >= pos."""
        return self.total - self._prefix(pos)
