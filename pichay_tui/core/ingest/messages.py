"""Incremental ingest of a request into a session's page table: only new blocks are processed (a mixin of Session).

The client appends to its history; we check the ends of the previous prefix (where cache markers move), detect
in-place clears of resident results, and treat anything else as a rewrite (truncation, /clear, auto-compact).
"""
from __future__ import annotations

from typing import Any

from .. import events as ev
from ..model.addressing import address_key, display_address
from ..model.blocks import (block_bytes, block_text, content_hash, image_tokens, is_cleared_by_client, message_fp,
                            page_hash, result_lines, result_text, short_id)
from ..model.fenwick import Fenwick
from ..model.pages import Kind, Page, PageState
from ..model.unchanged import is_unchanged_notice

_KINDS = {"text": Kind.TEXT, "thinking": Kind.THINKING, "redacted_thinking": Kind.THINKING,
          "tool_use": Kind.TOOL_USE, "tool_result": Kind.TOOL_RESULT, "image": Kind.IMAGE}


class IngestMixin:
    """Turns request bodies into pages; relies on the Session's state and its set_state/emit."""

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
        return message_fp(msg)

    def extended_by(self, messages: list[dict]) -> bool:
        """True when `messages` continues this session's history (the last message seen is still in place)."""
        n = len(self._msg_fp)
        return 0 < n < len(messages) and bool(self._msg_fp[-1]) and message_fp(messages[n - 1]) == self._msg_fp[-1]

    def find_divergence(self, messages: list[dict], first_fp: str | None = None) -> int:
        """Index of the first message that differs from the previous request; len(prev) when only appended."""
        prev_n = len(self._msg_fp)
        if prev_n == 0:
            return 0
        n = len(messages)
        # Fast path: the client appended. Check the ends of the old prefix (markers move there) and trust the middle;
        # microcompact edits in the middle are caught by the resident-result check instead.
        first = first_fp if first_fp is not None else self.message_fp(messages[0])
        if n >= prev_n and first == self._msg_fp[0] and \
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
            if self.overrides.pop(page.id, None) is not None:     # we served it; the client's clear now shows
                self.set_sub(page, False)
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

    def ingest_messages(self, messages: list[dict], request_no: int, now: float,
                        first_fp: str | None = None) -> list[Page]:
        """Add pages for messages the session has not seen; returns new tool_result pages."""
        d = self.find_divergence(messages, first_fp)
        self.resent = d == len(self._msg_fp) == len(messages) > 0   # the same history again (a retry)
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
            if mi == 0 and first_fp is not None:
                self._msg_fp.append(first_fp)
            else:
                self._msg_fp.append(self.message_fp(msg) if mi == last_fp_index else "")
        if len(self._msg_fp) > 1 and d < len(messages) and d > 0 and not self._msg_fp[d - 1]:
            self._msg_fp[d - 1] = self.message_fp(messages[d - 1])
        self.turn = turn
        return new_results

    def _ingest_block(self, blk: dict, role: str, turn: int, mi: int, bi: int, req: int, now: float) -> Page:
        btype = blk.get("type", "other")
        kind = Kind.SYSTEM_MSG if role == "system" else _KINDS.get(btype, Kind.OTHER)
        # a result's identity is its content: two reads of an unchanged file share a hash (fault pinning needs it)
        h = page_hash(blk)
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
            page.tool, page.key, page.address = name, address_key(name, args, self.config.tool_classes), \
                display_address(name, args)
            page.is_error = bool(blk.get("is_error"))
            page.lines = result_lines(blk)
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
        return blk.get("type") == "tool_result" and is_unchanged_notice(blk.get("content"), bool(blk.get("is_error")))
