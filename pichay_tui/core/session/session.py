"""A session's page table and counters; state transitions live here (ingest is core/ingest/messages.py's Ingestor)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..events import EventPayload
from ..model.config import PagerConfig
from ..model.pages import Kind, Page, PageState
from ..model.blocks import message_fp
from .state import IngestIndex, OutboundState, TokenTotals, TrimState, UsageState


@dataclass(slots=True)
class KeyHistory:
    """Per address key: the newest page for it and the fault-pinning memory."""

    latest: str | None = None
    pin_hash: str | None = None      # after a fault: evicting a page with this hash pins it instead
    evictions: int = 0
    faults: int = 0


@dataclass(slots=True)
class Stats:
    requests: int = 0
    side_requests: int = 0
    evictions: int = 0               # paged evictions (addressable content)
    gc: int = 0                      # evictions of non-addressable output
    faults: int = 0
    major_faults: int = 0
    minor_faults: int = 0
    releases: int = 0
    cleared_by_client: int = 0
    sweeps: int = 0
    predicted_invalidated_tokens: int = 0
    substitutions: int = 0           # "unchanged" notices answered from the backing store
    failures: int = 0

    def to_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class Fault:
    """One page fault, linked to the eviction it undid."""

    page: str                        # the evicted page that was asked for again
    new_page: str | None
    key: str
    turn: int
    ts: float
    eviction_turn: int
    turns_since: int
    seconds_since: float
    major: bool
    tokens: int

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


class Session:
    """One conversation (an agent or a subagent); owns its pages and all counters about them."""

    def __init__(self, sid: str, client: str, config: PagerConfig, emit: Callable[[EventPayload, "Session"], Any],
                 parent: str | None = None) -> None:
        self.id, self.client, self.parent, self.config = sid, client, parent, config
        self._emit = emit
        self.index = IngestIndex()
        self.usage = UsageState()
        self.trim = TrimState()
        self.out = OutboundState()
        self.tokens = TokenTotals()
        self.pages: dict[str, Page] = {}
        self.order: list[str] = []               # page ids in the order first seen (table order)
        self.keys: dict[str, KeyHistory] = {}
        self.stats = Stats()
        self.faults: list[Fault] = []
        self.epoch = 0
        self.turn = 0                            # user turns in the latest request
        self.zone = "normal"
        self.pending: list[dict[str, Any]] = []  # operator commands waiting for the next request
        self.collapses: list[dict[str, Any]] = []
        self.sweeps: list[dict[str, Any]] = []   # cache ledger, one entry per sweep
        self.last_ts = 0.0
        self.request_no = 0
        self.resident_results: dict[str, Page] = {}  # eviction candidates' superset, kept small
        self.dirty: set[str] = set()                 # pages changed since the last checkpoint

    _META = ("client", "parent", "epoch", "turn", "zone", "pending", "collapses", "last_ts", "request_no",
             "order")                                  # saved as they are

    def snapshot(self) -> dict[str, Any]:
        """The session's own checkpoint meta keys (its state groups add theirs; see snapshot.dump_meta)."""
        return {**{name: getattr(self, name) for name in self._META}, "stats": self.stats.to_dict(),
                "keys": {k: [h.latest, h.pin_hash, h.evictions, h.faults] for k, h in self.keys.items()}}

    def restore(self, meta: dict[str, Any]) -> None:
        for name in self._META:
            setattr(self, name, meta[name])
        self.stats = Stats(**meta["stats"])
        self.keys = {k: KeyHistory(*v) for k, v in meta["keys"].items()}

    # read by tests, benches and the view model
    calibration = property(lambda self: self.usage.calibration)
    last_out_tokens = property(lambda self: self.usage.last_out_tokens)
    header_tokens = property(lambda self: self.tokens.header_tokens)
    resident_tokens = property(lambda self: self.tokens.resident_tokens)
    evicted_tokens = property(lambda self: self.tokens.evicted_tokens)
    trim_decided = property(lambda self: self.trim.decided)
    trim_on = property(lambda self: self.trim.on)
    trim_estimate = property(lambda self: self.trim.estimate)

    def extended_by(self, messages: list[dict]) -> bool:
        """True when `messages` continues this session's history (the last message seen is still in place)."""
        fps = self.index.msg_fp
        n = len(fps)
        return 0 < n < len(messages) and bool(fps[-1]) and message_fp(messages[n - 1]) == fps[-1]

    # ---- state transitions (the only place counters change) ----
    def set_state(self, page: Page, state: PageState) -> None:
        old = page.state
        if old is state:
            return
        was_in, now_in = not old.is_out, not state.is_out
        if was_in:
            self.tokens.resident_tokens -= page.tokens
        elif old is PageState.CLEARED:
            self.tokens.cleared_tokens -= page.tokens
        else:
            self.tokens.evicted_tokens -= page.tokens
        if now_in:
            self.tokens.resident_tokens += page.tokens
        elif state is PageState.CLEARED:
            self.tokens.cleared_tokens += page.tokens
        else:
            self.tokens.evicted_tokens += page.tokens
        page.state = state
        self.dirty.add(page.id)
        if page.kind is Kind.TOOL_RESULT:
            if state is PageState.RESIDENT or state is PageState.PINNED:
                self.resident_results[page.id] = page
            else:
                self.resident_results.pop(page.id, None)

    def set_sub(self, page: Page, present: bool) -> None:
        """Show (or stop showing) a replacement for this page in the outbound view."""
        if present:
            self.out.subs.setdefault(page.msg_index, {})[page.block_index] = page
        else:
            subs = self.out.subs.get(page.msg_index)
            if subs:
                subs.pop(page.block_index, None)
                if not subs:
                    del self.out.subs[page.msg_index]
        self.out.out_cache.pop(page.msg_index, None)

    def emit(self, payload: EventPayload) -> None:
        """Emit an event of this session; the pages it names are marked for the next checkpoint."""
        for name in ("page", "new_page"):
            pid = getattr(payload, name, None)
            if pid:
                self.dirty.add(pid)
        self._emit(payload, self)
