"""Peer policies: what users get today without pichay, replayed through the same engine for comparison.

`anthropic_clear` models the Messages API's server-side context edit `clear_tool_uses_20250919`: once the prompt
reaches `trigger` input tokens (default 100,000), tool results are cleared oldest first, keeping the `keep` (default 3)
most recent tool uses; tools in `exclude_tools` are never cleared; a clearing happens only if it frees at least
`clear_at_least` tokens (default 0). A cleared result becomes a placeholder the model can only undo by re-running the
tool — there is no pinning; a re-run counts as a fault here exactly as it would for our own evictions.

`cc_microcompact` models Claude Code's client-side microcompact: results of Read, Bash, Grep, Glob, Edit, Write and
WebFetch (and their MCP/notebook cousins) are replaced by `[Old tool result content cleared]`, keeping the `keep`
(default 5) most recent. It runs when more than `trigger_count` (default 12) such results are resident, or after an
idle gap of `idle_seconds` (default 3600, the prompt cache's lifetime) between two requests.

Both replace a result by a placeholder; in replay the placeholder is our handle (the cost metric charges every policy
the same handle size, so comparisons stay fair).
"""
from __future__ import annotations

from typing import Iterable

from ...model.pages import Page
from ..policy import PolicyContext
from ._common import arg, release_fault_pin

MICROCOMPACT_TOOLS = ("Read", "Bash", "Grep", "Glob", "Edit", "Write", "WebFetch", "MultiEdit", "NotebookEdit",
                      "WebSearch")


def _by_position(pages: Iterable[Page]) -> list[Page]:
    return sorted(pages, key=lambda p: (p.msg_index, p.block_index))


class AnthropicClearPolicy:
    name = "anthropic_clear"

    def select(self, ctx: PolicyContext, candidates: Iterable[Page]) -> list[Page]:
        trigger = int(arg(ctx, "trigger", 100_000))
        if ctx.tokens < trigger and not ctx.force:
            return []
        candidates = list(candidates)
        keep = int(arg(ctx, "keep", 3))
        exclude = set(arg(ctx, "exclude_tools", ()))
        s = ctx.session
        # the `keep` most recent tool uses stay, counted over all results still shown (resident or pinned)
        shown = _by_position(s.resident_results.values()) if s is not None else _by_position(candidates)
        kept = {p.id for p in shown[-keep:]} if keep > 0 else set()
        out = [p for p in _by_position(candidates) if p.id not in kept and (p.tool or "") not in exclude]
        if sum(p.tokens for p in out) < int(arg(ctx, "clear_at_least", 0)):
            return []
        release_fault_pin(ctx, out)
        return out


class MicrocompactPolicy:
    name = "cc_microcompact"

    def __init__(self) -> None:
        self.last_ts: dict[str, float] = {}

    def select(self, ctx: PolicyContext, candidates: Iterable[Page]) -> list[Page]:
        candidates = list(candidates)
        keep = int(arg(ctx, "keep", 5))
        tools = set(arg(ctx, "tools", MICROCOMPACT_TOOLS))
        s = ctx.session
        idle = False
        if s is not None:
            prev = self.last_ts.get(s.id)
            self.last_ts[s.id] = s.last_ts
            idle = prev is not None and s.last_ts - prev >= float(arg(ctx, "idle_seconds", 3600))
        shown = [p for p in (s.resident_results.values() if s is not None else candidates)
                 if (p.tool or "") in tools]
        if len(shown) <= int(arg(ctx, "trigger_count", 12)) and not idle and not ctx.force:
            return []
        kept = {p.id for p in _by_position(shown)[-keep:]} if keep > 0 else set()
        out = [p for p in _by_position(candidates) if (p.tool or "") in tools and p.id not in kept]
        release_fault_pin(ctx, out)
        return out
