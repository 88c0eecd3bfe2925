"""Helpers over Anthropic content blocks: text extraction (one walker, content_text), cache-marker-free hashing, sizes."""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Callable

import orjson

from ..wire.jsonpieces import dump_pieces
from .identity_memo import IdentityMemo

CLEARED_MARKERS = ("[Old tool result content cleared]",)


def strip_cache_control(block: Any) -> Any:
    """The block without `cache_control` markers (Claude Code moves them every turn), recursively for tool results."""
    if not isinstance(block, dict):
        return block
    if "cache_control" not in block and not isinstance(block.get("content"), list):
        return block
    out = {k: v for k, v in block.items() if k != "cache_control"}
    if isinstance(out.get("content"), list):
        out["content"] = [strip_cache_control(b) for b in out["content"]]
    return out


# Facts about big blocks computed ahead of the engine step, off the event loop (see core/ingest/precompute.py): id(obj) ->
# (obj, {fact: value}). Only set for the duration of one engine step; holding obj keeps its id from being reused.
_facts: dict[int, tuple[Any, dict[str, Any]]] | None = None


# Facts kept across requests for parsed objects the incremental parse shares between them (see identity_memo.py).
MEMO = IdentityMemo()


def _known(obj: Any, fact: str) -> Any:
    f = _facts
    if f is not None:
        e = f.get(id(obj))
        if e is not None and e[0] is obj:
            return e[1].get(fact)
    return None


def content_hash(obj: Any, big: bool = False) -> str:
    """Short stable hash of a block or value, independent of cache markers and key order (`big`: serialized in
    pieces, same hash — for worker threads, see core/wire/jsonpieces.py)."""
    if big:
        h = hashlib.blake2b(digest_size=10)
        for piece in dump_pieces(strip_cache_control(obj), option=orjson.OPT_SORT_KEYS):
            h.update(piece)
        return h.hexdigest()
    return hash_and_size(obj)[0]


def hash_and_size(obj: Any) -> tuple[str, int]:
    """content_hash(obj) and the size of what was hashed."""
    data = orjson.dumps(strip_cache_control(obj), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=10).hexdigest(), len(data)


def page_hash(blk: dict[str, Any], big: bool = False) -> str:
    """A message block's identity: a tool result's is its content (two reads of an unchanged file share it)."""
    known = _known(blk, "page_hash")
    if known is not None:
        return known
    if blk.get("type") == "tool_result":
        return content_hash([blk.get("content"), bool(blk.get("is_error"))], big)
    return content_hash(blk, big)


def as_blocks(content: Any) -> Any:
    """A message's content as a list of blocks: a plain string is the same text as one text block."""
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def message_fp(msg: dict[str, Any], big: bool = False) -> str:
    """A message's fingerprint (role and content) that ignores cache markers and the string-vs-text-block encoding
    (Claude Code 2.0.77 sends its first message as blocks with cache_control once, then as a plain string)."""
    known = _known(msg, "fp")
    if known is not None:
        return known
    if big:
        return content_hash({"role": msg.get("role"), "content": as_blocks(msg.get("content"))}, big)
    return MEMO.remember(msg, "fp", lambda: hash_and_size({"role": msg.get("role"),
                                                         "content": as_blocks(msg.get("content"))}))


def result_lines(blk: dict[str, Any]) -> int:
    known = _known(blk, "lines")
    return known if known is not None else result_text(blk.get("content")).count("\n") + 1


def short_id(key: str) -> str:
    """A page id the model and the operator can type: 'p' + 8 hex digits."""
    return "p" + hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def content_text(content: Any, part: Callable[[Any], str | None]) -> str:
    """The one walk over message or tool-result content: None is "", a string is its own text, and a list is its
    blocks' texts as `part` renders each (None leaves a block out), one per line.

    Each reader of content text is one `part`: tokens (`result_text`), the turn diff (`display_text`), the simulator's
    plain text (sim/view.py)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(t for t in map(part, content) if t is not None)


def _token_part(b: Any) -> str:
    if not isinstance(b, dict):
        return str(b)
    t = b.get("type")
    if t == "text":
        return b.get("text", "")
    if t == "image":
        return "[image]"
    return orjson.dumps(b).decode()


def result_text(content: Any) -> str:
    """Text of a tool_result's content (a string or a list of text/image blocks), as tokens are counted."""
    return content_text(content, _token_part)


def display_text(block: Any) -> str:
    """A block as the turn diff shows it: text as is, tool input and other blocks as indented JSON."""
    if block is None:
        return ""
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return json.dumps(block, indent=1)
    t = block.get("type")
    if t == "text":
        return block.get("text", "")
    if t == "thinking":
        return block.get("thinking", "")
    if t == "tool_result":
        c = block.get("content")
        return content_text(c, display_text) if isinstance(c, list) else str(c or "")
    if t == "tool_use":
        return json.dumps(block.get("input"), indent=1)
    return json.dumps({k: v for k, v in block.items() if k != "cache_control"}, indent=1)


def block_text(block: dict[str, Any]) -> str:
    """The text that stands for a block when counting tokens."""
    t = block.get("type")
    if t == "text":
        return block.get("text", "")
    if t == "tool_result":
        return result_text(block.get("content"))
    if t == "tool_use":
        return block.get("name", "") + orjson.dumps(block.get("input", {})).decode()
    if t in ("thinking", "redacted_thinking"):
        return block.get("thinking", "") or block.get("data", "")
    if t == "str":
        return block.get("text", "")
    return orjson.dumps(strip_cache_control(block)).decode()


def block_bytes(block: Any, big: bool = False) -> int:
    known = _known(block, "bytes")
    if known is not None:
        return known
    if big:
        return sum(len(p) for p in dump_pieces(strip_cache_control(block)))
    return len(orjson.dumps(strip_cache_control(block)))


def image_tokens(block: dict[str, Any]) -> int:
    """Anthropic's rule of thumb (w*h/750) is unknowable without decoding; use its typical 1,600 tokens."""
    return 1600


_CLEARED_RE = re.compile(r"\s*(?:" + "|".join(re.escape(m) for m in CLEARED_MARKERS) + ")")


_CLEARED_LONGEST = max(len(m) for m in CLEARED_MARKERS)


def is_cleared_by_client(content: Any) -> bool:
    """Whether the client replaced a result with its 'cleared' marker (checked for every resident result on every
    request, so no copy of the text: a match at the start, after whitespace; of a list of blocks only as many are
    joined as the marker needs)."""
    if isinstance(content, str):
        return _CLEARED_RE.match(content) is not None
    if not isinstance(content, list):
        return _CLEARED_RE.match(result_text(content)) is not None
    head: list[str] = []
    for part in map(_token_part, content):
        head.append(part)
        text = "\n".join(head)       # a prefix of result_text(content)
        if len(text.lstrip()) >= _CLEARED_LONGEST:
            break
    return _CLEARED_RE.match("\n".join(head)) is not None
