"""A request as the prompt cache sees it: tools → system → messages flattened into blocks, a digest of the prefix
through each block, estimated tokens through each block, and the breakpoints (blocks that carried `cache_control`)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..model.tokens import TokenCounter

TTL_5M, TTL_1H = 300.0, 3600.0


@dataclass(slots=True)
class Shape:
    """One request as the cache sees it: a prefix digest and the cumulative estimated tokens through every block."""

    model: str
    digests: list[bytes]              # digest of the prefix through block i
    cum: list[int]                    # estimated tokens through block i
    breakpoints: list[tuple[int, float]]   # (block index, ttl seconds)
    total: int                        # estimated tokens of the whole prompt
    msg_offsets: list[int] = field(default_factory=list)   # block index of each message's first block

    def tokens_between(self, lo: int, hi: int) -> int:
        """Estimated tokens of blocks lo..hi-1."""
        hi = min(hi, len(self.cum))
        if hi <= lo:
            return 0
        return self.cum[hi - 1] - (self.cum[lo - 1] if lo > 0 else 0)

    def __len__(self) -> int:
        return len(self.digests)


class ShapeBuilder:
    """Flattens request bodies into Shapes; block digests and token counts are memoised by object identity (the
    engine and the client reuse unchanged message objects from one request to the next)."""

    def __init__(self, counter: TokenCounter | None = None, max_memo: int = 200_000) -> None:
        self.counter = counter or TokenCounter()
        self._memo: dict[int, tuple[Any, bytes, int]] = {}
        self._max = max_memo
        self._prev: dict[str, tuple] = {}             # key -> the last body's parts and what was built from them

    def _block(self, role: str, block: Any, ident: Any) -> tuple[bytes, int]:
        """(digest, tokens) of one block; `ident` is the object whose identity stands for its content."""
        hit = self._memo.get(id(ident))
        if hit is not None and hit[0] is ident:
            return hit[1], hit[2]
        plain = {k: v for k, v in block.items() if k != "cache_control"} if isinstance(block, dict) else block
        raw = orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)
        digest = hashlib.blake2b(role.encode() + b"\0" + raw, digest_size=16).digest()
        tokens = self.counter.count(raw.decode("utf-8", "replace"), key=digest.hex())
        if len(self._memo) >= self._max:
            self._memo.clear()
        if isinstance(ident, (dict, list, str)):
            self._memo[id(ident)] = (ident, digest, tokens)
        return digest, tokens

    @staticmethod
    def _mark(bps: list[tuple[int, float]], i: int, block: Any) -> None:
        cc = block.get("cache_control") if isinstance(block, dict) else None
        if cc:
            bps.append((i, TTL_1H if isinstance(cc, dict) and cc.get("ttl") == "1h" else TTL_5M))

    def shape(self, body: dict[str, Any], assume_breakpoints: bool = False, key: str | None = None) -> Shape:
        """The request's Shape. `assume_breakpoints`: the input dropped `cache_control` (Claude Code transcripts), so
        when a request has none, place them where Claude Code does — the last system block and the last block of
        each of the last two messages. `key` (a session id) lets the next request of the same key reuse the digests
        of the blocks it shares (by identity) with this one: a long session costs O(new blocks) per request."""
        tools, system, msgs = body.get("tools"), body.get("system"), body.get("messages") or []
        prev = self._prev.get(key) if key is not None else None
        mi = 0                                        # messages shared (by identity) with the key's previous body
        if prev is not None and _same(prev[0], tools) and _same(prev[1], system):
            pmsgs = prev[2]
            n = min(len(pmsgs), len(msgs))
            while mi < n and pmsgs[mi] is msgs[mi]:
                mi += 1
        if mi:
            _, _, _, pitems, pdig, pcum, poffs, pbps = prev
            k = poffs[mi] if mi < len(poffs) else len(pitems)
            items, digests, cum, offsets = pitems[:k], pdig[:k], pcum[:k], poffs[:mi]
            bps = [(i, t) for i, t in pbps if i < k]
        else:
            items = [("tool", t, t) for t in tools or ()]
            if isinstance(system, str):
                items.append(("system", {"type": "text", "text": system}, system))
            elif isinstance(system, list):
                items += [("system", b, b) for b in system]
            k, digests, cum, offsets, bps = 0, [], [], [], []
            for i, (_, block, _) in enumerate(items):
                self._mark(bps, i, block)
        for m in msgs[mi:]:
            offsets.append(len(items))
            role = str(m.get("role", ""))
            content = m.get("content")
            if isinstance(content, list):
                items += [(role, b, b) for b in content]
            else:
                items.append((role, {"type": "text", "text": content or ""}, content))
        h, total = (digests[-1], cum[-1]) if k else (b"", 0)
        for i in range(k, len(items)):
            role, block, ident = items[i]
            d, n = self._block(role, block, ident)
            h = hashlib.blake2b(h + d, digest_size=16).digest()
            total += n
            digests.append(h)
            cum.append(total)
            self._mark(bps, i, block)
        if key is not None:
            self._prev[key] = (tools, system, list(msgs), items, digests, cum, offsets, bps)
        bps = list(bps)
        top = body.get("cache_control")
        if isinstance(top, dict) and items and not any(i == len(items) - 1 for i, _ in bps):
            bps.append((len(items) - 1, TTL_1H if top.get("ttl") == "1h" else TTL_5M))   # automatic caching
        if assume_breakpoints and not bps and items:
            sys_end = (offsets[0] if offsets else len(items)) - 1
            marks = {sys_end} if sys_end >= 0 and items[sys_end][0] == "system" else set()
            marks.update(o - 1 for o in offsets[-2:][1:] if o > 0)       # last block of the second-to-last message
            marks.add(len(items) - 1)
            bps = [(i, TTL_5M) for i in sorted(marks)]
        return Shape(str(body.get("model") or ""), digests, cum, bps[-4:], total, offsets)


def _same(a: Any, b: Any) -> bool:
    """The same object, or lists of the same objects (a re-parsed body rebuilds its lists, not its blocks)."""
    if a is b:
        return True
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return all(x is y for x, y in zip(a, b))
    return isinstance(a, str) and a == b
