"""The page: one content block of a session's context, with its paging state and history counters."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class PageState(str, Enum):
    RESIDENT = "resident"
    EVICTED = "evicted"            # replaced by a handle by us (paged or GC)
    PINNED = "pinned"              # resident and protected from eviction
    RELEASED = "released"          # evicted at the model's request (cooperative)
    COLLAPSED = "collapsed"        # inside a turn range replaced by a summary
    STUBBED = "stubbed"            # tool definition trimmed to a stub
    CLEARED = "cleared-by-client"  # the client removed or cleared it itself

    @property
    def is_out(self) -> bool:
        """True when the model does not see the original content."""
        return self in (PageState.EVICTED, PageState.RELEASED, PageState.COLLAPSED,
                        PageState.STUBBED, PageState.CLEARED)


class PinReason(str, Enum):
    FAULT = "fault"
    OPERATOR = "operator"
    ANCHOR = "anchor"


class Kind(str, Enum):
    SYSTEM = "system"
    TOOL_DEF = "tool_def"
    TEXT = "text"
    THINKING = "thinking"
    TOOL_USE = "tool_use"
    TOOL_RESULT = "tool_result"
    IMAGE = "image"
    SYSTEM_MSG = "system_msg"
    OTHER = "other"


@dataclass(slots=True)
class Page:
    """Per-block metadata; the content itself lives in the client's body and, once evicted, the backing store."""

    id: str
    kind: Kind
    role: str
    turn: int                    # user turn that carried it (1-based); 0 for system and tool definitions
    bytes: int
    tokens: int
    content_hash: str
    first_seen: int              # request number when first seen
    pos: int = -1                # position among the epoch's message blocks (-1: header block)
    msg_index: int = -1
    block_index: int = -1
    tool: str | None = None
    key: str | None = None       # address key; None means GC-able
    address: str = ""            # display label (path, url, command)
    tool_use_id: str | None = None
    lines: int = 0
    is_error: bool = False
    state: PageState = PageState.RESIDENT
    pin_reason: PinReason | None = None
    pinned_at_turn: int | None = None
    faults: int = 0
    last_access: int = 0         # user turn of the last read (creation, fault, restore)
    evicted_at_turn: int | None = None
    evicted_at_ts: float | None = None
    evicted_at_req: int | None = None
    evict_reason: str | None = None
    restored_at_turn: int | None = None
    summary: str | None = None   # model/operator summary replacing the content
    epoch: int = 0

    @property
    def pinned(self) -> bool:
        return self.pin_reason is not None

    @property
    def paged(self) -> bool:
        """Addressable (can fault back) rather than garbage-collectable."""
        return self.key is not None

    def age(self, current_turn: int) -> int:
        return max(0, current_turn - self.turn) if self.turn else 0

    def to_dict(self, current_turn: int) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind.value, "role": self.role, "tool": self.tool, "key": self.key,
            "address": self.address, "state": self.state.value, "bytes": self.bytes, "tokens": self.tokens,
            "age": self.age(current_turn), "turn": self.turn, "faults": self.faults,
            "pin_reason": self.pin_reason.value if self.pin_reason else None, "lines": self.lines,
            "paged": self.paged, "is_error": self.is_error, "first_seen": self.first_seen,
            "last_access": self.last_access, "evicted_at_turn": self.evicted_at_turn,
            "evict_reason": self.evict_reason, "content_hash": self.content_hash, "epoch": self.epoch,
            "summary": self.summary, "tool_use_id": self.tool_use_id,
        }
