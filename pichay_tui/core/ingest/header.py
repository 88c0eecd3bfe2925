"""The request header as pages: system blocks and tool definitions, re-read on every request (they are few)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import events as ev
from ..model.blocks import block_bytes, content_hash, short_id
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
        h = content_hash(blk)
        pid = short_id(f"sys:{h}")
        total += _header_page(s, counter, pid, Kind.SYSTEM, "system", blk, h, request_no, f"system[{i}]")
        ids.append(pid)
    for tool in body.get("tools") or []:
        name = tool.get("name", "?")
        h = content_hash(tool)
        pid = short_id(f"tool:{name}:{h}")
        total += _header_page(s, counter, pid, Kind.TOOL_DEF, "tools", tool, h, request_no, name)
        ids.append(pid)
    s.tokens.header_ids, s.tokens.header_tokens = ids, total


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
