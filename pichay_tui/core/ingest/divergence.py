"""Where a request's history stops being the one a session saw: one rule for the engine and for precompute."""
from __future__ import annotations

from typing import Callable


def divergence(messages: list, prev_fps: list[str], fp: Callable[[int], str]) -> int:
    """Index of the first message that differs from the previous request (`prev_fps`: its fingerprints, "" where
    none was kept; `fp(i)`: messages[i]'s); len(prev_fps) when the client only appended.

    Fast path: check the ends of the old prefix (cache markers move there) and trust the middle; microcompact edits
    in the middle are caught by the resident-result check instead."""
    prev_n, n = len(prev_fps), len(messages)
    if prev_n == 0:
        return 0
    if n >= prev_n and fp(0) == prev_fps[0] and fp(prev_n - 1) == prev_fps[prev_n - 1]:
        return prev_n
    for i in range(min(n, prev_n)):
        if fp(i) != prev_fps[i]:
            return i
    return min(n, prev_n)
