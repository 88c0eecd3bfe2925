"""Incremental ingest of a request into a session's page table: only new blocks are processed (the Ingestor).

The client appends to its history; we check the ends of the previous prefix (where cache markers move), detect
in-place clears of resident results, and treat anything else as a rewrite (truncation, /clear, auto-compact).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..model.addressing import address_key, display_address
from .divergence import divergence
from ..model.blocks import (block_bytes, block_text, image_tokens, is_cleared_by_client, message_fp, page_hash,
                            result_lines, result_text, short_id)
from ..model.fenwick import Fenwick
from ..model.pages import Kind, Page, PageState
from ..model.tokens import TokenCounter
from ..model.unchanged import is_unchanged_notice
from .header import ingest_header

if TYPE_CHECKING:
    from ..session.session import Session

_KINDS = {"text": Kind.TEXT, "thinking": Kind.THINKING, "redacted_thinking": Kind.THINKING,
          "tool_use": Kind.TOOL_USE, "tool_result": Kind.TOOL_RESULT, "image": Kind.IMAGE}


class Ingestor:
    """Turns request bodies into a session's pages, through the session's set_state/emit."""

    def __init__(self, counter: TokenCounter) -> None:
        self.counter = counter

    def ingest_header(self, s: "Session", body: dict[str, Any], request_no: int) -> None:
        ingest_header(s, self.counter, body, request_no)

    def _count(self, s: "Session", block: dict, h: str) -> int:
        if block.get("type") == "image":
            return image_tokens(block)
        if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
            imgs = sum(1 for b in block["content"] if isinstance(b, dict) and b.get("type") == "image")
            return self.counter.count(block_text(block), h) + imgs * image_tokens({})
        return self.counter.count(block_text(block), h)

    def find_divergence(self, s: "Session", messages: list[dict], first_fp: str | None = None) -> int:
        """Index of the first message that differs from the previous request; len(prev) when only appended."""
        return divergence(messages, s.index.msg_fp, lambda i: first_fp if i == 0 and first_fp is not None
                          else message_fp(messages[i]))

    def check_client_clears(self, s: "Session", messages: list[dict], upto: int) -> None:
        """Resident tool results the client rewrote in place (Claude Code's microcompact) become cleared-by-client.

        Runs over every resident result on every request, so the loop only finds them; the changes follow."""
        n = min(upto, len(messages))
        found = []
        for page in s.resident_results.values():
            mi = page.msg_index
            if mi >= n:
                continue
            content = messages[mi].get("content")
            bi = page.block_index
            if type(content) is not list or bi >= len(content):
                continue
            blk = content[bi]
            if is_cleared_by_client(blk.get("content")) and blk.get("type") == "tool_result":
                found.append((page, blk))
        for page, blk in found:
            s.set_state(page, PageState.CLEARED)
            s.stats.cleared_by_client += 1
            if s.out.overrides.pop(page.id, None) is not None:     # we served it; the client's clear now shows
                s.set_sub(page, False)
            if page.pos >= 0:
                s.tokens.fen.set(page.pos, self.counter.count(result_text(blk.get("content"))))
            s.emit(ev.PageClearedByClient(page=page.id, tokens=page.tokens, reason="microcompact"))

    def drop_from(self, s: "Session", d: int, reason: str) -> None:
        """Forget messages from index d on (the client rewrote or truncated its history)."""
        gone = [pid for ids in s.index.msg_pages[d:] for pid in ids]
        for pid in gone:
            page = s.pages[pid]
            if page.state is not PageState.CLEARED:
                s.set_state(page, PageState.CLEARED)
                s.stats.cleared_by_client += 1
            page.msg_index = page.block_index = -1
            s.dirty.add(pid)
        for mi in [m for m in s.out.subs if m >= d]:
            del s.out.subs[mi]
        s.out.out_cache.clear()
        if d == 0:
            s.epoch += 1
            s.tokens.fen = Fenwick()
        else:
            first_pos = min((s.pages[p].pos for p in gone if s.pages[p].pos >= 0), default=len(s.tokens.fen))
            for pos in range(first_pos, len(s.tokens.fen)):
                s.tokens.fen.set(pos, 0)
        del s.index.msg_fp[d:], s.index.msg_turn[d:], s.index.msg_pages[d:]
        if gone:
            s.emit(ev.ClientCleared(reason=reason, pages=len(gone), epoch=s.epoch, from_=d))

    def ingest_messages(self, s: "Session", messages: list[dict], request_no: int, now: float,
                        first_fp: str | None = None) -> list[Page]:
        """Add pages for messages the session has not seen; returns new tool_result pages."""
        d = self.find_divergence(s, messages, first_fp)
        s.index.resent = d == len(s.index.msg_fp) == len(messages) > 0   # the same history again (a retry)
        self.check_client_clears(s, messages, d)
        if d < len(s.index.msg_fp):
            first_text = result_text(messages[0].get("content")) if messages else ""
            reason = "compact" if "continued from a previous conversation" in first_text else \
                "clear" if d == 0 else "rewrite"
            self.drop_from(s, d, reason)
        turn = s.index.msg_turn[d - 1] if d else 0
        new_results: list[Page] = []
        last_fp_index = len(messages) - 1
        for mi in range(d, len(messages)):
            msg = messages[mi]
            if not isinstance(msg, dict):
                raise ValueError(f"messages[{mi}] is not an object")
            role = msg.get("role", "user")
            if role == "user":
                turn += 1
                s.turn = turn          # events emitted while ingesting carry the turn they belong to
            content = msg.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else (content or [])
            ids = []
            for bi, blk in enumerate(blocks):
                if not isinstance(blk, dict):
                    continue
                page = self._ingest_block(s, blk, role, turn, mi, bi, request_no, now)
                ids.append(page.id)
                if page.kind is Kind.TOOL_RESULT:
                    new_results.append(page)
            s.index.msg_pages.append(ids)
            s.index.msg_turn.append(turn)
            # fingerprints are only ever compared at the ends of the prefix, so only compute those
            if mi == 0 and first_fp is not None:
                s.index.msg_fp.append(first_fp)
            else:
                s.index.msg_fp.append(message_fp(msg) if mi == last_fp_index else "")
        if len(s.index.msg_fp) > 1 and d < len(messages) and d > 0 and not s.index.msg_fp[d - 1]:
            s.index.msg_fp[d - 1] = message_fp(messages[d - 1])
        s.turn = turn
        return new_results

    def _ingest_block(self, s: "Session", blk: dict, role: str, turn: int, mi: int, bi: int, req: int, now: float) -> Page:
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
            n = s.index.occ.get(base, 0)
            s.index.occ[base] = n + 1
            pid = short_id(f"{base}:{n}")
        page = s.pages.get(pid)
        if page is not None:                       # re-appeared after a rewrite: same identity, new place
            page.msg_index, page.block_index, page.turn, page.epoch = mi, bi, turn, s.epoch
            if page.state is PageState.CLEARED:
                s.set_state(page, PageState.RESIDENT)
            page.pos = s.tokens.fen.append(page.tokens)
            s.dirty.add(pid)
            return page
        page = Page(id=pid, kind=kind, role=role, turn=turn, bytes=block_bytes(blk), tokens=self._count(s, blk, h),
                    content_hash=h, first_seen=req, msg_index=mi, block_index=bi, last_access=turn, epoch=s.epoch)
        if btype == "tool_use":
            page.tool = blk.get("name")
            page.tool_use_id = blk.get("id")
            page.address = display_address(page.tool, blk.get("input"))
            s.index.tool_uses[str(blk.get("id"))] = (page.tool or "", blk.get("input") or {})
        elif btype == "tool_result":
            page.tool_use_id = blk.get("tool_use_id")
            name, args = s.index.tool_uses.get(str(page.tool_use_id), (None, {}))
            page.tool, page.key, page.address = name, address_key(name, args, s.config.tool_classes), \
                display_address(name, args)
            page.is_error = bool(blk.get("is_error"))
            page.lines = result_lines(blk)
            if is_cleared_by_client(blk.get("content")):
                page.state = PageState.CLEARED
        page.pos = s.tokens.fen.append(page.tokens)
        s.pages[pid] = page
        s.order.append(pid)
        if page.state is PageState.CLEARED:
            s.tokens.cleared_tokens += page.tokens
        else:
            page.state = PageState.EVICTED      # so set_state counts it in as resident
            s.tokens.evicted_tokens += page.tokens
            s.set_state(page, PageState.RESIDENT)
        s.emit(ev.PageAdded(page=pid, kind=kind.value, tool=page.tool, key=page.key,
                            tokens=page.tokens, bytes=page.bytes, msg=mi))
        return page


def block_at(messages: list[dict], page: Page) -> dict | None:
    """The client's block a page stands for in this request's messages, if it is still there."""
    if 0 <= page.msg_index < len(messages):
        content = messages[page.msg_index].get("content")
        if isinstance(content, list) and 0 <= page.block_index < len(content):
            return content[page.block_index]
    return None


def unchanged_notice(blk: dict) -> bool:
    """A tool result that only says the file is unchanged since an earlier read (see model/unchanged.py)."""
    return blk.get("type") == "tool_result" and is_unchanged_notice(blk.get("content"), bool(blk.get("is_error")))
