"""Builds the request body sent upstream: handles for evicted pages, served content, and the pressure note."""
from __future__ import annotations

from typing import Any

from .collapse import apply_to_outbound
from ..model.handles import handle_block
from ..model.pages import Page, PageState
from ..session.session import Session


def _replacement(s: Session, page: Page, client_block: dict) -> dict:
    if page.state is PageState.STUBBED and page.id in s.out.overrides:
        return s.out.overrides[page.id]
    if page.state.is_out:
        return handle_block(page, client_block)
    override = s.out.overrides.get(page.id)
    if override is not None:
        out = dict(override)
        if "cache_control" in client_block:
            out["cache_control"] = client_block["cache_control"]
        return out
    return client_block


RECENT = 4  # messages this close to the end are rebuilt every time: the client moves cache markers there


def build_outbound(s: Session, body: dict[str, Any], note: str | None = None,
                   use_cache: bool = True, tools: list[dict] | None = None) -> dict[str, Any]:
    """A new body sharing every unchanged message with the client's; only messages with substitutions are copied.

    Rebuilt old messages are cached per message index until one of their pages changes state, so the cost per
    request does not grow with the number of evicted pages (the reference rebuilt the whole history every time).
    """
    messages = body.get("messages") or []
    out = dict(body)
    msgs = list(messages)
    recent = len(msgs) - RECENT
    cache = s.out.out_cache
    for mi, subs in s.out.subs.items():
        if mi >= len(msgs) or not subs:
            continue
        if use_cache and mi < recent:
            cached = cache.get(mi)
            if cached is not None:
                msgs[mi] = cached
                continue
        msg = messages[mi]
        content = msg.get("content")
        if not isinstance(content, list):
            continue
        new_content = list(content)
        for bi, page in subs.items():
            if bi < len(new_content):
                new_content[bi] = _replacement(s, page, new_content[bi])
        msgs[mi] = {**msg, "content": new_content}
        if use_cache and mi < recent:
            cache[mi] = msgs[mi]
    for mi, extra in s.out.splices.items():
        if mi < len(msgs):
            msg = msgs[mi]
            content = msg.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
            if msg.get("role") == "user":        # tool results first, as the API requires
                n = sum(1 for b in blocks if b.get("type") == "tool_result")
                blocks[n:n] = extra
            else:
                blocks.extend(extra)
            msgs[mi] = {**msg, "content": blocks}
    if s.collapses:
        msgs = apply_to_outbound(s, messages, msgs)
    if note and msgs:
        last = msgs[-1]
        if last.get("role") == "user":
            content = last.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
            blocks.append({"type": "text", "text": note})
            msgs[-1] = {**last, "content": blocks}
    out["messages"] = msgs
    if tools is not None:
        out["tools"] = tools
    return out


def pressure_note(s: Session, tokens: int, window: int, phantom_tools: bool = False, cleanup_tags: bool = True) -> str:
    """The advisory status note: fill, the five largest resident tool results, and what the model can do.

    cleanup_tags is False when cooperation is off: <memory_cleanup> tags are then neither stripped nor acted on, so the
    note must not invite the model to write them."""
    top = sorted(s.resident_results.values(), key=lambda p: p.tokens, reverse=True)[:5]
    lines = [f"<system-reminder>pichay memory status: context {tokens / window:.0%} full "
             f"({tokens:,} of {window:,} tokens, zone {s.zone})."]
    if top:
        lines.append("Largest resident tool results:")
        for p in top:
            lines.append(f"- page {p.id}: {p.tool or p.kind.value} {p.address} ({p.tokens:,} tokens, turn {p.turn})")
    if not cleanup_tags:
        lines.append("pichay pages out old tool results by itself; each handle names how to get its content back."
                     "</system-reminder>")
        return "\n".join(lines)
    ops = "release pages you no longer need"
    if phantom_tools:
        ops += " with the memory_release tool (memory_fault brings them back)"
    lines.append(f"You can {ops}, or write <memory_cleanup> with lines such as `release: PAGE_ID`, "
                 f"`drop: PAGE_ID`, `anchor: PAGE_ID` or `collapse: turns N-M \"summary\"`.</system-reminder>")
    return "\n".join(lines)
