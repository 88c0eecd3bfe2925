"""The expensive, state-free part of ingesting a big request, done ahead of the engine step (off the event loop).

Why: tokenizing a 20 MB tool result takes seconds. A worker thread computes hashes, sizes and token counts of the
big blocks the session has not seen (tiktoken and blake2b release the GIL); the engine step then finds them in the
token counter's cache and in `blocks._facts`, and stays short enough to run on the loop.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

from ..model import blocks
from .divergence import divergence
from ..model.blocks import block_bytes, block_text, message_fp, page_hash
from ..model.tokens import TokenCounter

MIN_CHARS = 16_384          # smaller blocks cost less to handle inline than to look up


def precompute(body: dict[str, Any], counter: TokenCounter, start: int = 0, min_chars: int = MIN_CHARS,
               prev_fps: list[str] | None = None) -> dict[int, tuple[Any, dict[str, Any]]]:
    """Facts for blocks of messages[start:] with at least `min_chars` of text, and the fingerprints the divergence
    check needs; warms `counter` with their token counts. Reads `body` only (safe in a worker thread).

    `prev_fps`: the session's message fingerprints (a copy). The engine re-ingests from where the history diverges
    from them (a rewrite, Claude Code's microcompact), which may be before `start`: found here the way the engine
    finds it, so those blocks are prepared too and no big message is hashed on the loop."""
    facts: dict[int, tuple[Any, dict[str, Any]]] = {}
    messages = body.get("messages")
    if not isinstance(messages, list):
        return facts
    n = len(messages)
    for mi in {0, start - 1, n - 1}:
        if 0 <= mi < n and isinstance(messages[mi], dict):
            facts[id(messages[mi])] = (messages[mi], {"fp": message_fp(messages[mi], big=True)})
    if prev_fps:
        start = min(start, _divergence(messages, prev_fps, facts))
    for msg in messages[max(0, start):]:
        content = msg.get("content") if isinstance(msg, dict) else None
        if not isinstance(content, list):
            continue
        for blk in content:
            if not isinstance(blk, dict) or blk.get("type") == "image":
                continue
            text = block_text(blk)
            if len(text) < min_chars:
                continue
            h = page_hash(blk, big=True)
            known = {"page_hash": h, "bytes": block_bytes(blk, big=True)}
            if blk.get("type") == "tool_result":
                known["lines"] = text.count("\n") + 1      # block_text of a result is its result_text
            facts[id(blk)] = (blk, known)
            counter.count(text, h)
    return facts


def _divergence(messages: list, prev_fps: list[str], facts: dict[int, tuple[Any, dict[str, Any]]]) -> int:
    """The engine's divergence (same rule), its fingerprints computed in pieces and kept in `facts`."""
    def fp(i: int) -> str:
        msg = messages[i]
        if not isinstance(msg, dict):
            return ""
        known = facts.get(id(msg))
        if known is None or "fp" not in known[1]:
            known = facts[id(msg)] = (msg, {**(known[1] if known else {}), "fp": message_fp(msg, big=True)})
        return known[1]["fp"]

    return divergence(messages, prev_fps, fp)


@contextlib.contextmanager
def using(facts: dict[int, tuple[Any, dict[str, Any]]] | None) -> Iterator[None]:
    """Make precomputed facts visible to one engine step (call on the thread that runs the engine)."""
    blocks._facts = facts or None
    try:
        yield
    finally:
        blocks._facts = None
