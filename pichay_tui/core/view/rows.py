"""The display rows the view model builds: page table rows, session rows, the gauge, fault and pin rows."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

OUT_STATES = ("evicted", "released", "collapsed", "stubbed", "cleared-by-client")
HIDDEN_KINDS = ("tool_use", "tool_def", "text", "thinking")  # shown with show_all; results are what pages
SORT_KEYS = ("order", "tokens", "age", "faults", "state", "tool", "address", "bytes")


class PageRow(NamedTuple):
    """One page table row. A named tuple, not a dataclass: thousands are rebuilt whenever the turn advances (ages
    change), and a tuple builds ~6× faster; it is immutable, hashable and compared by value all the same."""

    id: str
    kind: str
    tool: str
    address: str
    state: str
    tokens: int
    bytes: int
    age: int
    turn: int
    faults: int
    pin_reason: str
    pending: str
    paged: bool
    is_error: bool
    order: int

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    client: str
    parent: str
    turns: int
    requests: int
    zone: str
    resident: int
    evicted: int
    evictions: int
    faults: int
    fault_rate: float
    pins: int
    pending: int
    upstream_errors: int = 0       # responses the upstream failed (4xx/5xx, unreachable, timeout)
    upstream_error: str = ""       # "502 upstream unreachable: …" while the latest response failed, else ""


@dataclass(frozen=True, slots=True)
class Gauge:
    window: int
    tokens: int            # estimated input tokens of the next request
    resident: int
    evicted: int
    header: int
    zone: str
    thresholds: tuple[tuple[str, int], ...]
    next_zone: str
    to_next: int
    spend_usd: float | None = None        # the session's bill so far (observed where reported, else the cache model's)
    spend_observed: bool = False
    saving_usd: float | None = None       # the cache model's bill without the pager minus with it


@dataclass(frozen=True, slots=True)
class FaultRow:
    page: str
    tool: str
    address: str
    turn: int
    eviction_turn: int
    turns_since: int
    seconds_since: float
    major: bool
    refaults: int          # faults of the same address up to this one
    tokens: int


@dataclass(frozen=True, slots=True)
class PinRow:
    page: str
    tool: str
    address: str
    reason: str
    since_turn: int
    tokens: int
    pending: str


def page_row(s: Any, pid: str, order: int, pend: dict[str, str]) -> PageRow:
    """The row of page `pid` of session `s`; `pend` is `pending_by_page(s)`."""
    p = s.pages[pid]
    return PageRow(pid, p.kind._value_, p.tool or "", p.address or "", p.state._value_, p.tokens, p.bytes,
                   p.age(s.turn), p.turn, p.faults, p.pin_reason._value_ if p.pin_reason else "",
                   pend.get(pid, ""), p.paged, p.is_error, order)
