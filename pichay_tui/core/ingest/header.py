"""The request header as pages: system blocks and tool definitions, re-read on every request (they are few)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..model.blocks import MEMO, block_bytes, hash_and_size, short_id
from ..model.pages import Kind, Page
from ..model.tokens import TokenCounter

if TYPE_CHECKING:
    from ..session.session import Session


def ingest_header(s: "Session", counter: TokenCounter, body: dict[str, Any], request_no: int) -> None:
    """System blocks and tool definitions: pages keyed by name/content; sets the session's header ids and tokens."""
    ids, total = [], 0
    system = body.get("system")
    sys_blocks = [{"type": "text", "text": system}] if isinstance(system, str) else list(system or [])
    for i, blk in enumerate(sys_blocks):
        h, pid = _ids(system if isinstance(system, str) else blk, blk, "sys")
        total += _header_page(s, counter, pid, Kind.SYSTEM, "system", blk, h, request_no, f"system[{i}]")
        ids.append(pid)
    for tool in body.get("tools") or []:
        name = tool.get("name", "?")
        h, pid = _ids(tool, tool, f"tool:{name}")
        total += _header_page(s, counter, pid, Kind.TOOL_DEF, "tools", tool, h, request_no, name)
        ids.append(pid)
    s.tokens.header_ids, s.tokens.header_tokens = ids, total


def _ids(parsed: Any, blk: Any, prefix: str) -> tuple[str, str]:
    """(content hash, page id) of a header block, remembered for the parsed object it came from: a resent header is
    the same objects (see core/model/identity_memo.py), so its ~10 µs per KB of hashing is paid once."""
    def compute() -> tuple[tuple[str, str], int]:
        h, size = hash_and_size(blk)
        return (h, short_id(f"{prefix}:{h}")), size
    return MEMO.remember(parsed, "header", compute)     # prefix is a function of the block (its tool name)


def _header_page(s: "Session", counter: TokenCounter, pid: str, kind: Kind, role: str, blk: dict, h: str, req: int,
                 label: str) -> int:
    page = s.pages.get(pid)
    if page is None:
        text = blk.get("text") if kind is Kind.SYSTEM else str(blk)
        page = Page(id=pid, kind=kind, role=role, turn=0, bytes=block_bytes(blk),
                    tokens=counter.count(text or "", h), content_hash=h, first_seen=req,
                    address=label, tool=label if kind is Kind.TOOL_DEF else None, epoch=s.epoch)
        s.pages[pid] = page
        s.order.append(pid)
        s.emit(ev.PageAdded(page=pid, kind=kind.value, tokens=page.tokens, bytes=page.bytes))
    return page.tokens
