"""Groups of a session's state, each saving and restoring its own part of the checkpoint (flat meta keys).

The keys are the ones checkpoints have always used, so state dirs written before these groups existed still load.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..model.blocks import short_id
from ..model.fenwick import Fenwick
from ..model.pages import Page, PageState
from ..model.tokens import Calibration

PATH_ARGS = ("file_path", "notebook_path", "path")    # the tool-call arguments addressing.path_of reads


@functools.lru_cache(maxsize=1 << 16)
def _result_id(tool_use_id: str) -> str:
    """The page id of a call's result (memoized: every checkpoint asks it for every call in the history)."""
    return short_id("tr:" + tool_use_id)


@dataclass(slots=True)
class IngestIndex:
    """Per message of the client's history (hash, turn, pages) and what ingest needs to name new blocks."""

    msg_fp: list[str] = field(default_factory=list)         # cache-marker-free hash (only first/last kept fresh)
    msg_turn: list[int] = field(default_factory=list)       # user turns up to and including the message
    msg_pages: list[list[str]] = field(default_factory=list)   # page ids of its blocks (rebuilt from pages)
    occ: dict[str, int] = field(default_factory=dict)       # text/thinking blocks seen per content, for unique ids
    tool_uses: dict[str, tuple[str, dict]] = field(default_factory=dict)   # tool_use id -> (tool name, input)
    first_fp: str | None = None                             # the session's identity: first message ...
    system_fp: str | None = None                            # ... and system prompt
    resent: bool = False                                    # the latest request repeated the previous history
    saved_paths: dict[str, tuple[dict, list]] = field(default_factory=dict)   # snapshot's entries of ingested calls

    @property
    def message_count(self) -> int:
        """Messages of the client's history this session has ingested."""
        return len(self.msg_fp)

    def snapshot(self, pages: Mapping[str, Any]) -> dict[str, Any]:
        """Meta keys; a call whose result is ingested keeps only its path (the result page holds its key and
        address), so the saved map stays small while policies can still see which file a call touched."""
        open_uses, paths, saved = {}, {}, self.saved_paths
        for tid, (name, args) in self.tool_uses.items():
            done = saved.get(tid)
            if done is not None and done[0] is args:      # every checkpoint saves every call: reuse the entry
                paths[tid] = done[1]
            elif _result_id(tid) in pages:
                paths[tid] = [name, {n: args[n] for n in PATH_ARGS if isinstance(args.get(n), str)}]
                saved[tid] = (args, paths[tid])
            else:
                open_uses[tid] = [name, args]
        return {"first_fp": self.first_fp, "system_fp": self.system_fp, "_msg_turn": self.msg_turn,
                "_occ": self.occ, "msg_fp": {i: fp for i, fp in enumerate(self.msg_fp) if fp},
                "n_msgs": len(self.msg_fp), "tool_uses_open": open_uses, "tool_uses_paths": paths}

    def restore(self, meta: Mapping[str, Any]) -> None:
        """From checkpoint meta; one written before tool uses were saved gives an empty map (its results keep the
        tool, key and address their pages hold)."""
        self.first_fp, self.system_fp = meta["first_fp"], meta["system_fp"]
        self.msg_turn, self.occ = meta["_msg_turn"], meta["_occ"]
        self.msg_fp = [""] * meta["n_msgs"]
        for i, fp in meta["msg_fp"].items():
            self.msg_fp[int(i)] = fp
        uses = {**(meta.get("tool_uses_paths") or {}), **(meta.get("tool_uses_open") or {})}
        self.tool_uses = {tid: (name, args) for tid, (name, args) in uses.items()}


@dataclass(slots=True)
class UsageState:
    """The upstream's last usage report and the calibration of our token estimate against it."""

    calibration: Calibration = field(default_factory=Calibration)
    last_usage: dict[str, int] = field(default_factory=dict)
    tokens_at_usage: int = 0          # our outbound estimate when last_usage was reported
    last_out_tokens: int = 0          # our estimate of the latest outbound request

    def snapshot(self) -> dict[str, Any]:
        return {"last_usage": self.last_usage, "last_out_tokens": self.last_out_tokens,
                "_tokens_at_usage": self.tokens_at_usage,
                "calibration": [self.calibration.factor, self.calibration.samples]}

    def restore(self, meta: Mapping[str, Any]) -> None:
        self.last_usage, self.last_out_tokens = meta["last_usage"], meta["last_out_tokens"]
        self.tokens_at_usage = meta["_tokens_at_usage"]
        self.calibration.factor, self.calibration.samples = meta["calibration"]


@dataclass(slots=True)
class TrimState:
    """Tool-definition stubbing (decided once per session) and the system-reminder dedup scan."""

    decided: bool = False
    on: bool = False
    estimate: dict[str, int] = field(default_factory=dict)
    stubbed_tools: list[str] = field(default_factory=list)
    reminder_first: dict[str, tuple[int, int]] = field(default_factory=dict)   # hash -> (msg, block) kept
    reminder_dups: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)   # dup -> its first
    reminder_scanned: int = 0         # messages already scanned for reminders

    def snapshot(self) -> dict[str, Any]:
        return {"trim_decided": self.decided, "trim_on": self.on, "trim_estimate": self.estimate,
                "stubbed_tools": self.stubbed_tools, "reminder_scanned": self.reminder_scanned,
                "reminder_first": {h: list(v) for h, v in self.reminder_first.items()},
                "reminder_dups": [[*k, *v] for k, v in self.reminder_dups.items()]}

    def restore(self, meta: Mapping[str, Any]) -> None:
        self.decided, self.on, self.estimate = meta["trim_decided"], meta["trim_on"], meta["trim_estimate"]
        self.stubbed_tools, self.reminder_scanned = meta["stubbed_tools"], meta["reminder_scanned"]
        self.reminder_first = {h: tuple(v) for h, v in (meta.get("reminder_first") or {}).items()}
        self.reminder_dups = {(a, b): (c, d) for a, b, c, d in meta.get("reminder_dups") or []}


@dataclass(slots=True)
class OutboundState:
    """How the outbound view differs from the client's messages: handles, replacement blocks, phantom splices."""

    subs: dict[int, dict[int, Page]] = field(default_factory=dict)   # msg -> block -> page shown as a handle
    out_cache: dict[int, dict] = field(default_factory=dict)         # msg -> rebuilt outbound message (outbound.py)
    overrides: dict[str, dict] = field(default_factory=dict)         # page id -> replacement block
    splices: dict[int, list[dict]] = field(default_factory=dict)     # msg -> phantom blocks added to it
    pending_splice: dict[str, Any] | None = None     # a phantom exchange waiting for its place in history

    def snapshot(self, pages: Mapping[str, Page]) -> dict[str, Any]:
        """Meta keys; a served result is saved as [tool_use_id, content hash] (its content is in the store), a
        stubbed reminder as its block. `subs` and `out_cache` are rebuilt from pages."""
        return {"splices": {str(k): v for k, v in self.splices.items()}, "pending_splice": self.pending_splice,
                "overrides": {pid: (b if pages[pid].state is PageState.STUBBED else
                                    [b.get("tool_use_id"), pages[pid].content_hash])
                              for pid, b in self.overrides.items()}}

    def restore(self, meta: Mapping[str, Any], store: Any) -> None:
        self.splices = {int(k): v for k, v in (meta.get("splices") or {}).items()}
        self.pending_splice = meta.get("pending_splice")
        for pid, ref in meta["overrides"].items():
            if isinstance(ref, dict):
                self.overrides[pid] = ref
                continue
            tool_use_id, h = ref
            block = store.get(h) if store is not None else None
            if block is not None:
                self.overrides[pid] = {"type": "tool_result", "tool_use_id": tool_use_id,
                                       "content": block.get("content", "")}


@dataclass(slots=True)
class TokenTotals:
    """Token counts of a session: the header, the outbound form per block (a Fenwick tree), and per page state."""

    fen: Fenwick = field(default_factory=Fenwick)    # outbound-form tokens by message block position
    header_tokens: int = 0
    header_ids: list[str] = field(default_factory=list)
    resident_tokens: int = 0          # the rest are derived from pages on restore (see snapshot._rebuild)
    evicted_tokens: int = 0
    cleared_tokens: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {"header_tokens": self.header_tokens, "header_ids": self.header_ids}

    def restore(self, meta: Mapping[str, Any]) -> None:
        self.header_tokens, self.header_ids = meta["header_tokens"], meta["header_ids"]
