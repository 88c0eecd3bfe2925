"""Session health for the side panels: fault rows (built incrementally), the thrash warning and the pins."""
from __future__ import annotations

from typing import Any

from ..commands.registry import pending_by_page
from .rows import FaultRow, PinRow

THRASH_WINDOW = 8                     # recent faults looked at for the thrash warning


class FaultRows:
    """A session's fault rows, oldest first. `s.faults` only grows, so rows are built once and only new faults are
    added on later calls (a long thrashing session has thousands)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[list[FaultRow], dict[str, int], Any, Any]] = {}

    def rows(self, s: Any) -> list[FaultRow]:
        rows, seen, src, last = self._cache.get(s.id) or ([], {}, s, None)
        n = len(rows)
        if src is not s or len(s.faults) < n or (n and s.faults[n - 1] is not last):
            rows, seen, n = [], {}, 0                # another session object (replay jump) or a rewritten list
        for f in s.faults[n:]:
            seen[f.key] = seen.get(f.key, 0) + 1
            p = s.pages.get(f.page)
            rows.append(FaultRow(f.page, p.tool or "" if p else "", p.address if p else f.key, f.turn,
                                 f.eviction_turn, f.turns_since, f.seconds_since, f.major, seen[f.key], f.tokens))
        self._cache[s.id] = (rows, seen, s, s.faults[-1] if s.faults else None)
        return list(rows)


def thrash_warning(s: Any, faults: list[FaultRow], tau: int) -> str:
    """Non-empty when pages keep cycling: an address faulted twice, or 3+ faults within the last 2τ turns."""
    recent = faults[-THRASH_WINDOW:]
    if not recent:
        return ""
    repeat = sorted({f.address for f in recent if f.refaults >= 2})
    burst = [f for f in recent if s.turn - f.turn <= 2 * tau]
    if repeat or len(burst) >= 3:
        names = ", ".join(a.rsplit("/", 1)[-1] for a in (repeat or sorted({f.address for f in burst}))[:3])
        return f"thrashing: {names} cycle out and back — pin them or raise τ"
    return ""


def pin_rows(s: Any) -> list[PinRow]:
    """Pinned pages plus pages with a queued pin (shown as operator pins from this turn)."""
    pend = pending_by_page(s)
    out = [PinRow(p.id, p.tool or "", p.address, p.pin_reason.value, p.pinned_at_turn or 0, p.tokens,
                  pend.get(p.id, "")) for p in s.pages.values() if p.pinned]
    out += [PinRow(pid, s.pages[pid].tool or "", s.pages[pid].address, "operator", s.turn, s.pages[pid].tokens,
                   "page.pin") for pid, c in pend.items() if c == "page.pin" and pid in s.pages]
    return out
