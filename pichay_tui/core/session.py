"""A session's page table: incremental ingest of each request, client-edit detection, and state counters."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from . import events as ev
from .addressing import address_key, display_address
from .blocks import (block_bytes, block_text, content_hash, image_tokens, is_cleared_by_client,
                     is_unchanged_notice, result_text, short_id, strip_cache_control)
from .config import PagerConfig
from .fenwick import Fenwick
from .pages import Kind, Page, PageState
from .tokens import Calibration, TokenCounter

_KINDS = {"text": Kind.TEXT, "thinking": Kind.THINKING, "redacted_thinking": Kind.THINKING,
          "tool_use": Kind.TOOL_USE, "tool_result": Kind.TOOL_RESULT, "image": Kind.IMAGE}


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

    def __init__(self, sid: str, client: str, config: PagerConfig, counter: TokenCounter,
                 emit: Callable[[str, "Session", dict], None], parent: str | None = None) -> None:
        self.id, self.client, self.parent, self.config = sid, client, parent, config
        self._counter, self._emit = counter, emit
        self.pages: dict[str, Page] = {}
        self.order: list[str] = []               # page ids in the order first seen (table order)
        self.keys: dict[str, KeyHistory] = {}
        self.stats = Stats()
        self.faults: list[Fault] = []
        self.calibration = Calibration()
        self.epoch = 0
        self.turn = 0                            # user turns in the latest request
        self.zone = "normal"
        self.last_usage: dict[str, int] = {}
        self.pending: list[dict[str, Any]] = []  # operator commands waiting for the next request
        self.collapses: list[dict[str, Any]] = []
        self.sweeps: list[dict[str, Any]] = []   # cache ledger, one entry per sweep
        self.fen = Fenwick()                     # outbound-form tokens by message block position
        self.header_tokens = 0
        self.header_ids: list[str] = []
        self.resident_tokens = 0
        self.evicted_tokens = 0
        self.cleared_tokens = 0
        self.first_fp: str | None = None
        self.system_fp: str | None = None
        self.last_ts = 0.0
        self.request_no = 0
        self.last_out_tokens = 0
        self._tokens_at_usage = 0
        self._msg_fp: list[str] = []             # per message: cache-marker-free hash (only first/last kept fresh)
        self._msg_turn: list[int] = []           # per message: user turns up to and including it
        self._msg_pages: list[list[str]] = []    # per message: page ids of its blocks
        self._tool_uses: dict[str, tuple[str, dict]] = {}
        self._occ: dict[str, int] = {}
        self.subs: dict[int, dict[int, Page]] = {}   # msg_index -> block_index -> page shown as a handle
        self.out_cache: dict[int, dict] = {}         # msg_index -> rebuilt outbound message (see outbound.py)
        self.overrides: dict[str, dict] = {}         # page id -> replacement block (e.g. served "unchanged")
        self.resident_results: dict[str, Page] = {}  # eviction candidates' superset, kept small
        self.dirty: set[str] = set()                 # pages changed since the last checkpoint
        self.pending_splice: dict[str, Any] | None = None   # phantom exchange waiting for its place in history
        self.splices: dict[int, list[dict]] = {}     # msg_index -> phantom blocks added to that message
        self.trim_decided = False
        self.trim_on = False
        self.trim_estimate: dict[str, int] = {}
        self.stubbed_tools: list[str] = []
        self.reminder_first: dict[str, tuple[int, int]] = {}
        self.reminder_dups: dict[tuple[int, int], tuple[int, int]] = {}
        self.reminder_scanned = 0

    # ---- state transitions (the only place counters change) ----
    def set_state(self, page: Page, state: PageState) -> None:
        old = page.state
        if old is state:
            return
        was_in, now_in = not old.is_out, not state.is_out
        if was_in:
            self.resident_tokens -= page.tokens
        elif old is PageState.CLEARED:
            self.cleared_tokens -= page.tokens
        else:
            self.evicted_tokens -= page.tokens
        if now_in:
            self.resident_tokens += page.tokens
        elif state is PageState.CLEARED:
            self.cleared_tokens += page.tokens
        else:
            self.evicted_tokens += page.tokens
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
            self.subs.setdefault(page.msg_index, {})[page.block_index] = page
        else:
            subs = self.subs.get(page.msg_index)
            if subs:
                subs.pop(page.block_index, None)
                if not subs:
                    del self.subs[page.msg_index]
        self.out_cache.pop(page.msg_index, None)

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        for k in ("page", "new_page"):
            if data.get(k):
                self.dirty.add(data[k])
        self._emit(kind, self, data)

    # ---- ingest ----
    def _count(self, block: dict, h: str) -> int:
        if block.get("type") == "image":
            return image_tokens(block)
        if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
            imgs = sum(1 for b in block["content"] if isinstance(b, dict) and b.get("type") == "image")
            return self._counter.count(block_text(block), h) + imgs * image_tokens({})
        return self._counter.count(block_text(block), h)

    def ingest_header(self, body: dict[str, Any], request_no: int) -> None:
        """System blocks and tool definitions: pages keyed by name/content, re-read each request (they are few)."""
        ids, total = [], 0
        system = body.get("system")
        sys_blocks = [{"type": "text", "text": system}] if isinstance(system, str) else list(system or [])
        for i, blk in enumerate(sys_blocks):
            h = content_hash(blk)
            pid = short_id(f"sys:{h}")
            total += self._header_page(pid, Kind.SYSTEM, "system", blk, h, request_no, f"system[{i}]")
            ids.append(pid)
        for tool in body.get("tools") or []:
            name = tool.get("name", "?")
            h = content_hash(tool)
            pid = short_id(f"tool:{name}:{h}")
            total += self._header_page(pid, Kind.TOOL_DEF, "tools", tool, h, request_no, name)
            ids.append(pid)
        self.header_ids, self.header_tokens = ids, total

    def _header_page(self, pid: str, kind: Kind, role: str, blk: dict, h: str, req: int, label: str) -> int:
        page = self.pages.get(pid)
        if page is None:
            text = blk.get("text") if kind is Kind.SYSTEM else str(blk)
            page = Page(id=pid, kind=kind, role=role, turn=0, bytes=block_bytes(blk),
                        tokens=self._counter.count(text or "", h), content_hash=h, first_seen=req,
                        address=label, tool=label if kind is Kind.TOOL_DEF else None, epoch=self.epoch)
            self.pages[pid] = page
            self.order.append(pid)
            self.emit(ev.PAGE_ADDED, {"page": pid, "kind": kind.value, "tokens": page.tokens, "bytes": page.bytes})
        return page.tokens

    def message_fp(self, msg: dict) -> str:
        return content_hash({"role": msg.get("role"), "content": msg.get("content")})

    def find_divergence(self, messages: list[dict]) -> int:
        """Index of the first message that differs from the previous request; len(prev) when only appended."""
        prev_n = len(self._msg_fp)
        if prev_n == 0:
            return 0
        n = len(messages)
        # Fast path: the client appended. Check the ends of the old prefix (markers move there) and trust the middle;
        # microcompact edits in the middle are caught by the resident-result check instead.
        if n >= prev_n and self.message_fp(messages[0]) == self._msg_fp[0] and \
                self.message_fp(messages[prev_n - 1]) == self._msg_fp[prev_n - 1]:
            return prev_n
        for i in range(min(n, prev_n)):
            if self.message_fp(messages[i]) != self._msg_fp[i]:
                return i
        return min(n, prev_n)

    def check_client_clears(self, messages: list[dict], upto: int) -> None:
        """Resident tool results the client rewrote in place (Claude Code's microcompact) become cleared-by-client."""
        for page in list(self.resident_results.values()):
            mi, bi = page.msg_index, page.block_index
            if mi >= upto or mi >= len(messages):
                continue
            content = messages[mi].get("content")
            if not isinstance(content, list) or bi >= len(content):
                continue
            blk = content[bi]
            if blk.get("type") != "tool_result" or not is_cleared_by_client(blk.get("content")):
                continue
            self.set_state(page, PageState.CLEARED)
            self.stats.cleared_by_client += 1
            if page.pos >= 0:
                self.fen.set(page.pos, self._counter.count(result_text(blk.get("content"))))
            self.emit(ev.PAGE_CLEARED_BY_CLIENT, {"page": page.id, "tokens": page.tokens, "reason": "microcompact"})

    def drop_from(self, d: int, reason: str) -> None:
        """Forget messages from index d on (the client rewrote or truncated its history)."""
        gone = [pid for ids in self._msg_pages[d:] for pid in ids]
        for pid in gone:
            page = self.pages[pid]
            if page.state is not PageState.CLEARED:
                self.set_state(page, PageState.CLEARED)
                self.stats.cleared_by_client += 1
            page.msg_index = page.block_index = -1
            self.dirty.add(pid)
        for mi in [m for m in self.subs if m >= d]:
            del self.subs[mi]
        self.out_cache.clear()
        if d == 0:
            self.epoch += 1
            self.fen = Fenwick()
        else:
            first_pos = min((self.pages[p].pos for p in gone if self.pages[p].pos >= 0), default=len(self.fen))
            for pos in range(first_pos, len(self.fen)):
                self.fen.set(pos, 0)
        del self._msg_fp[d:], self._msg_turn[d:], self._msg_pages[d:]
        if gone:
            self.emit(ev.CLIENT_CLEARED, {"reason": reason, "pages": len(gone), "epoch": self.epoch, "from": d})

    def ingest_messages(self, messages: list[dict], request_no: int, now: float) -> list[Page]:
        """Add pages for messages the session has not seen; returns new tool_result pages."""
        d = self.find_divergence(messages)
        self.check_client_clears(messages, d)
        if d < len(self._msg_fp):
            first_text = result_text(messages[0].get("content")) if messages else ""
            reason = "compact" if "continued from a previous conversation" in first_text else \
                "clear" if d == 0 else "rewrite"
            self.drop_from(d, reason)
        turn = self._msg_turn[d - 1] if d else 0
        new_results: list[Page] = []
        last_fp_index = len(messages) - 1
        for mi in range(d, len(messages)):
            msg = messages[mi]
            if not isinstance(msg, dict):
                raise ValueError(f"messages[{mi}] is not an object")
            role = msg.get("role", "user")
            if role == "user":
                turn += 1
                self.turn = turn          # events emitted while ingesting carry the turn they belong to
            content = msg.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else (content or [])
            ids = []
            for bi, blk in enumerate(blocks):
                if not isinstance(blk, dict):
                    continue
                page = self._ingest_block(blk, role, turn, mi, bi, request_no, now)
                ids.append(page.id)
                if page.kind is Kind.TOOL_RESULT:
                    new_results.append(page)
            self._msg_pages.append(ids)
            self._msg_turn.append(turn)
            # fingerprints are only ever compared at the ends of the prefix, so only compute those
            self._msg_fp.append(self.message_fp(msg) if mi in (0, last_fp_index) else "")
        if len(self._msg_fp) > 1 and d < len(messages) and d > 0 and not self._msg_fp[d - 1]:
            self._msg_fp[d - 1] = self.message_fp(messages[d - 1])
        self.turn = turn
        return new_results

    def _ingest_block(self, blk: dict, role: str, turn: int, mi: int, bi: int, req: int, now: float) -> Page:
        btype = blk.get("type", "other")
        kind = Kind.SYSTEM_MSG if role == "system" else _KINDS.get(btype, Kind.OTHER)
        # a result's identity is its content: two reads of an unchanged file share a hash (fault pinning needs it)
        h = content_hash([blk.get("content"), bool(blk.get("is_error"))]) if btype == "tool_result" else content_hash(blk)
        if btype == "tool_result":
            pid = short_id("tr:" + str(blk.get("tool_use_id")))
        elif btype == "tool_use":
            pid = short_id("tu:" + str(blk.get("id")))
        else:
            base = f"{role}:{h}"
            n = self._occ.get(base, 0)
            self._occ[base] = n + 1
            pid = short_id(f"{base}:{n}")
        page = self.pages.get(pid)
        if page is not None:                       # re-appeared after a rewrite: same identity, new place
            page.msg_index, page.block_index, page.turn, page.epoch = mi, bi, turn, self.epoch
            if page.state is PageState.CLEARED:
                self.set_state(page, PageState.RESIDENT)
            page.pos = self.fen.append(page.tokens)
            self.dirty.add(pid)
            return page
        page = Page(id=pid, kind=kind, role=role, turn=turn, bytes=block_bytes(blk), tokens=self._count(blk, h),
                    content_hash=h, first_seen=req, msg_index=mi, block_index=bi, last_access=turn, epoch=self.epoch)
        if btype == "tool_use":
            page.tool = blk.get("name")
            page.tool_use_id = blk.get("id")
            page.address = display_address(page.tool, blk.get("input"))
            self._tool_uses[str(blk.get("id"))] = (page.tool or "", blk.get("input") or {})
        elif btype == "tool_result":
            page.tool_use_id = blk.get("tool_use_id")
            name, args = self._tool_uses.get(str(page.tool_use_id), (None, {}))
            page.tool, page.key, page.address = name, address_key(name, args), display_address(name, args)
            page.is_error = bool(blk.get("is_error"))
            page.lines = result_text(blk.get("content")).count("\n") + 1
            if is_cleared_by_client(blk.get("content")):
                page.state = PageState.CLEARED
        page.pos = self.fen.append(page.tokens)
        self.pages[pid] = page
        self.order.append(pid)
        if page.state is PageState.CLEARED:
            self.cleared_tokens += page.tokens
        else:
            page.state = PageState.EVICTED      # so set_state counts it in as resident
            self.evicted_tokens += page.tokens
            self.set_state(page, PageState.RESIDENT)
        self.emit(ev.PAGE_ADDED, {"page": pid, "kind": kind.value, "tool": page.tool, "key": page.key,
                                  "tokens": page.tokens, "bytes": page.bytes, "msg": mi})
        return page

    def block_at(self, messages: list[dict], page: Page) -> dict | None:
        if 0 <= page.msg_index < len(messages):
            content = messages[page.msg_index].get("content")
            if isinstance(content, list) and 0 <= page.block_index < len(content):
                return content[page.block_index]
        return None

    def unchanged_notice(self, blk: dict) -> bool:
        return blk.get("type") == "tool_result" and is_unchanged_notice(blk.get("content"))

    @staticmethod
    def original_block(blk: dict) -> dict:
        return strip_cache_control(blk)
