"""Deterministic token estimates and a simulated Anthropic prompt cache for the fake upstream.

Tokens: every block (system block, tool definition, message content block) is serialised canonically
(`cache_control` stripped, keys sorted) and costs ceil(bytes / 4) tokens.

Cache: the request is the sequence tools + system blocks + message blocks (each message block tagged with its
role). Like Anthropic's cache, a prefix is written at every `cache_control` breakpoint and can then be read
by any later request (any conversation) whose prefix up to that position is byte-identical. For a request:
- cache_read_input_tokens     = tokens of the longest prefix ending at a breakpoint written earlier;
- cache_creation_input_tokens = tokens after that, up to and including the request's last breakpoint;
- input_tokens                = the remainder after the last breakpoint (all tokens if it has none:
  a request without any `cache_control` neither reads nor writes the cache).
Within one conversation this is the longest common prefix with the previous request, bounded by that request's
last breakpoint; moving Claude Code's trailing marker forward each turn therefore reads the whole history, while
rewriting an old block (e.g. a pager evicting it) drops the read back to the last breakpoint before that block.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import orjson


def _strip(block: Any) -> Any:
    """Copy of a block without `cache_control` (also inside nested content lists)."""
    if isinstance(block, dict):
        return {k: _strip(v) for k, v in block.items() if k != "cache_control"}
    if isinstance(block, list):
        return [_strip(v) for v in block]
    return block


def _has_marker(block: Any) -> bool:
    if not isinstance(block, dict):
        return False
    if "cache_control" in block:
        return True
    content = block.get("content")
    return isinstance(content, list) and any(isinstance(v, dict) and "cache_control" in v for v in content)


def canonical_blocks(body: dict[str, Any]) -> list[tuple[bytes, int, bool]]:
    """(canonical bytes, tokens, has breakpoint) for every cacheable block of a request, in prefix order."""
    out: list[tuple[bytes, int, bool]] = []

    def add(block: Any, tag: str) -> None:
        raw = tag.encode() + orjson.dumps(_strip(block), option=orjson.OPT_SORT_KEYS)
        out.append((raw, max(1, -(-len(raw) // 4)), _has_marker(block)))

    for tool in body.get("tools") or []:
        add(tool, "tool:")
    system = body.get("system")
    if isinstance(system, str):
        system = [{"type": "text", "text": system}] if system else []
    for block in system or []:
        add(block, "system:")
    for msg in body.get("messages") or []:
        content = msg.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        for block in content or []:
            add(block, f"{msg.get('role')}:")
    return out


def estimate_tokens(body: dict[str, Any]) -> int:
    """Estimated input tokens of a request (system + tools + messages)."""
    return sum(t for _, t, _ in canonical_blocks(body))


def estimate_output_tokens(content: list[dict[str, Any]]) -> int:
    """Estimated output tokens of the assistant content blocks."""
    return max(1, -(-len(orjson.dumps(content)) // 4))


class PromptCache:
    """Breakpoint-prefix cache shared by all requests to one fake upstream (LRU bounded)."""

    def __init__(self, max_entries: int = 20000) -> None:
        self.entries: OrderedDict[str, None] = OrderedDict()
        self.max_entries = max_entries

    def reset(self) -> None:
        """Forget every cached prefix."""
        self.entries.clear()

    def usage(self, body: dict[str, Any], write: bool = True) -> dict[str, int]:
        """Usage numbers for `body`; with `write`, record its breakpoints for later requests."""
        blocks = canonical_blocks(body)
        chain, h = [], hashlib.sha1(str(body.get("model", "")).encode())
        for raw, _, _ in blocks:
            h.update(hashlib.sha1(raw).digest())
            chain.append(h.copy().hexdigest())
        tokens = [t for _, t, _ in blocks]
        marks = [i for i, (_, _, m) in enumerate(blocks) if m]
        read_end = 0
        for i in range(len(blocks) - 1 if marks else -1, -1, -1):
            if chain[i] in self.entries:
                read_end = i + 1
                self.entries.move_to_end(chain[i])
                break
        last_mark = marks[-1] + 1 if marks else 0
        read = sum(tokens[:read_end])
        create = sum(tokens[read_end:last_mark]) if last_mark > read_end else 0
        if write:
            for i in marks:
                self.entries[chain[i]] = None
                self.entries.move_to_end(chain[i])
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)
        return {"input_tokens": sum(tokens) - read - create,
                "cache_creation_input_tokens": create, "cache_read_input_tokens": read}
