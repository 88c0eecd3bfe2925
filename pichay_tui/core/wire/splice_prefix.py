"""A resent message array's spliced bytes, taken from the last splice up to the first element that changed.

Why: an agent resends its whole history every turn and the pager's outbound messages are cached objects, so the
spliced bytes of the history's unchanged start are the bytes the last splice made. Reusing them as one slice costs
a memcpy; building them again costs one memo lookup and two slices per paged message (~70 µs for 115 messages).

When it is sound (all three are checked): the parse of these bytes took the leading elements over from the body the
last splice spliced (`same`, from ParseCache.layout: their bytes, and the bytes between them, are that body's), the
client elements are the same objects as then, and so are the outbound elements.
"""
from __future__ import annotations

from bisect import bisect_left
from operator import is_
from typing import Any, Callable, NamedTuple


class ArrayOut(NamedTuple):
    """One spliced array: the client bytes it came from, its elements (client and outbound), its bytes, where each
    element's bytes end in them, which elements were rendered (not copied), and their renderings by id(outbound
    element): (outbound element, client element, bytes)."""

    raw: bytes
    old: list
    new: list
    out: bytes
    ends: list[int]
    changed: list[int]
    table: dict[int, tuple[Any, Any, bytes]]


def renderings(prev: ArrayOut | None, new: list, k: int) -> dict[int, tuple[Any, Any, bytes]]:
    """The renderings of `prev` still in use when its first k elements are reused, for the new array to keep: all of
    them (the same dict, no copy) when every rendered element is among those k, else those that are."""
    if prev is None or not k:
        return {}
    if not prev.changed or prev.changed[-1] < k:
        return prev.table
    table = {}
    for i in changed_before(prev.changed, k):
        hit = prev.table.get(id(new[i]))
        if hit is not None:
            table[id(new[i])] = hit
    return table


def reusable(prev: ArrayOut | None, old: list, new: list, same: tuple[bytes, int] | None) -> int:
    """How many leading elements' bytes can be taken from `prev` (`same`: the body the parse took over from, and
    how many leading elements it took)."""
    if prev is None or same is None or prev.raw is not same[0]:
        return 0
    k = min(same[1], len(prev.old), len(old), len(prev.new), len(new))
    return _leading(new, prev.new, _leading(old, prev.old, k))


def _leading(a: list, b: list, k: int) -> int:
    """How many of the first k elements of a and b are the same objects (compared in C, not a Python loop)."""
    if not k:
        return 0
    flags = list(map(is_, a[:k], b[:k]))
    return flags.index(False) if False in flags else k


def changed_before(changed: list[int], k: int) -> list[int]:
    """The indices in the sorted `changed` below k."""
    return changed[:bisect_left(changed, k)]


def build(raw: bytes, old: list, new: list, vs: int, ve: int, elems: list[tuple[int, int]], prev: ArrayOut | None,
          k: int, render: Callable[[int], bytes]) -> ArrayOut:
    """The bytes of `new` for the array at raw[vs:ve]: the first k elements from `prev`, then the client's bytes for
    each element that is the client's own, and for each other one its rendering found again by identity among the
    last splice's (elements after a newly paged one are unchanged), else `render(i)`."""
    table = renderings(prev, new, k)
    known = prev.table if prev is not None else table    # found again below k too (an element paged before them)
    pieces: list[bytes] = []
    ends: list[int] = []
    changed: list[int] = []
    size, copy_from = 0, vs
    if k:
        size = prev.ends[k - 1]                          # type: ignore[union-attr]
        pieces.append(prev.out[:size])                   # type: ignore[union-attr]
        ends = prev.ends[:k]                             # type: ignore[union-attr]
        changed = changed_before(prev.changed, k)        # type: ignore[union-attr]
        copy_from = elems[k - 1][1]
    for i in range(k, len(new)):
        s, e = elems[i]
        if new[i] is old[i]:
            ends.append(size + e - copy_from)            # still in the pending copy of client bytes
            continue
        if s > copy_from:
            pieces.append(raw[copy_from:s])
            size += s - copy_from
        hit = known.get(id(new[i]))
        if hit is not None and hit[0] is new[i] and hit[1] is old[i]:
            piece = hit[2]
        else:
            piece = render(i)
            table[id(new[i])] = (new[i], old[i], piece)
        pieces.append(piece)
        size += len(piece)
        ends.append(size)
        changed.append(i)
        copy_from = e
    pieces.append(raw[copy_from:ve])
    return ArrayOut(raw, old, new, b"".join(pieces), ends, changed, table)
