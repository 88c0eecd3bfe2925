"""The expensive, state-free part of ingesting a big request, done ahead of the engine step (off the event loop).

Why: tokenizing a 20 MB tool result takes seconds. A worker thread computes hashes, sizes and token counts of the
big blocks the session has not seen (tiktoken and blake2b release the GIL); the engine step then finds them in the
token counter's cache and in `blocks._facts`, and stays short enough to run on the loop.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

from ..model import blocks
from ..model.blocks import block_bytes, block_text, message_fp, page_hash
from ..model.tokens import TokenCounter

MIN_CHARS = 16_384          # smaller blocks cost less to handle inline than to look up


def precompute(body: dict[str, Any], counter: TokenCounter, start: int = 0,
               min_chars: int = MIN_CHARS) -> dict[int, tuple[Any, dict[str, Any]]]:
    """Facts for blocks of messages[start:] with at least `min_chars` of text, and the fingerprints the divergence
    check needs; warms `counter` with their token counts. Reads `body` only (safe in a worker thread)."""
    facts: dict[int, tuple[Any, dict[str, Any]]] = {}
    messages = body.get("messages")
    if not isinstance(messages, list):
        return facts
    n = len(messages)
    for mi in {0, start - 1, n - 1}:
        if 0 <= mi < n and isinstance(messages[mi], dict):
            facts[id(messages[mi])] = (messages[mi], {"fp": message_fp(messages[mi], big=True)})
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


@contextlib.contextmanager
def using(facts: dict[int, tuple[Any, dict[str, Any]]] | None) -> Iterator[None]:
    """Make precomputed facts visible to one engine step (call on the thread that runs the engine)."""
    blocks._facts = facts or None
    try:
        yield
    finally:
        blocks._facts = None
