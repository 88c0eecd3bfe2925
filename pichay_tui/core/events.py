"""Typed, past-tense events emitted by the core; the UI, the recorder and replay consume exactly these."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Event kinds (past tense). Keep names stable: recordings and the control API carry them.
PAGE_ADDED = "page_added"
PAGE_EVICTED = "page_evicted"          # data: page, tool, key, tokens, bytes, reason ("age"|"operator"|"compact"|"release"|"gc")
PAGE_FAULTED = "page_faulted"          # data: page, eviction_turn, turns_since, seconds_since, major, tokens
PAGE_PINNED = "page_pinned"            # data: page, reason ("fault"|"operator"|"anchor")
PAGE_UNPINNED = "page_unpinned"        # data: page, reason
PAGE_RESTORED = "page_restored"        # data: page, reason
PAGE_CLEARED_BY_CLIENT = "page_cleared_by_client"
CLIENT_CLEARED = "client_cleared"      # data: reason ("microcompact"|"compact"|"clear"|"rewrite"), pages, epoch
ZONE_CHANGED = "zone_changed"          # data: old, new, tokens
SWEEP_APPLIED = "sweep_applied"        # data: changed_pages, first_changed_index, predicted_invalidated_tokens, tokens_saved,
#                                        blocks_after, messages_tokens (the cache model's lookback rule needs both)
SESSION_STARTED = "session_started"    # data: client, parent
REQUEST_PAGED = "request_paged"        # data: request_no, bytes_in, bytes_out, tokens_in, tokens_out, model
RESPONSE_COMPLETED = "response_completed"  # data: usage, stop_reason
COMMAND_QUEUED = "command_queued"      # data: command, args
COMMAND_APPLIED = "command_applied"    # data: command, args, result
ENGINE_FAILED = "engine_failed"        # data: error, where


@dataclass(slots=True)
class Event:
    """One fact about a session; `seq` orders events globally within an engine."""

    kind: str
    session: str
    turn: int
    ts: float
    data: dict[str, Any] = field(default_factory=dict)
    seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "session": self.session, "turn": self.turn, "ts": self.ts,
                "seq": self.seq, "data": self.data}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Event":
        return cls(kind=d["kind"], session=d["session"], turn=d.get("turn", 0), ts=d.get("ts", 0.0),
                   data=dict(d.get("data") or {}), seq=d.get("seq", 0))
