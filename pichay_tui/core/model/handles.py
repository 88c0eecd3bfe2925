"""Self-describing retrieval handles that stand in for evicted content in the outbound view."""
from __future__ import annotations

from .pages import Page, PageState
from .tool_classes import CHEAP_REREAD


def _size(page: Page) -> str:
    lines = f", {page.lines:,} lines" if page.lines > 1 else ""
    return f"{page.bytes:,} bytes{lines}"


def handle_text(page: Page) -> str:
    """The text the model sees in place of an evicted page; names the page, what it was, and how to get it back."""
    what = f"{page.tool} {page.address}".strip() if page.tool else page.kind.value
    if page.state is PageState.COLLAPSED:
        return f"[Collapsed: {what} ({_size(page)}) · page {page.id}. Summarised in the turn summary; " \
               f"call memory_fault with \"{page.id}\" to restore it.]"
    if page.summary:
        return f"[Summarised: {what} ({_size(page)}) · page {page.id}: {page.summary} " \
               f"— call memory_fault with \"{page.id}\" for the full content.]"
    if page.paged:
        verb = "Released" if page.state is PageState.RELEASED else "Paged out"
        if page.tool in CHEAP_REREAD:        # re-running a read is cheap and returns the same content
            how = "Re-read the file" if page.tool in ("Read", "NotebookRead") else "Re-run the tool call"
            return f"[{verb}: {what} ({_size(page)}) · page {page.id}. {how} if you need its content, " \
                   f"or call memory_fault with \"{page.id}\".]"
        # a subagent report, a web fetch, an MCP call: re-running costs time and tokens or has side effects
        return f"[{verb}: {what} ({_size(page)}) · page {page.id}. Its content is kept: call memory_fault " \
               f"with \"{page.id}\" to get it back (do not re-run the call for it).]"
    # transient output: counted as GC, yet kept, so the way back is the same
    return f"[Cleared stale output: {what} ({_size(page)}) · page {page.id}. Its content is kept: call " \
           f"memory_fault with \"{page.id}\" if you need it again.]"


def handle_block(page: Page, client_block: dict) -> dict:
    """A tool_result block carrying the handle, keeping the client's tool_use_id and cache marker."""
    out = {"type": "tool_result", "tool_use_id": client_block.get("tool_use_id"), "content": handle_text(page)}
    if "cache_control" in client_block:
        out["cache_control"] = client_block["cache_control"]
    return out
