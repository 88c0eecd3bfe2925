"""A sans-io model of Anthropic's prompt cache: what one request is billed as read, written and uncached input.

Rules modelled (Anthropic's prompt-caching docs):
- The prompt is tools → system → messages, flattened into content blocks. A cache entry is the exact prefix through a
  block that carried `cache_control` (a breakpoint) in some earlier request; `cache_control` itself is not part of the
  prefix, so moving a breakpoint does not change earlier prefixes.
- Read: for each breakpoint of the request, the system looks for an entry at the breakpoint and at earlier block
  boundaries up to `LOOKBACK` (20) blocks before it; the longest live entry found is read (0.1× price) and refreshed.
- Write: the prefix through each breakpoint is written; `cache_creation_input_tokens` is the part beyond what was read
  up to the last breakpoint; what follows the last breakpoint is uncached `input_tokens`.
- A prefix shorter than the model's minimum cacheable length is neither written nor read.
- TTL: 5 minutes by default, 1 hour with `"ttl": "1h"`, from the last write or read of the entry.
Token positions are our estimates (o200k) mapped through a per-session linear calibration fitted to recorded usage:
real = a + b·estimate (a absorbs what the input does not show, e.g. tool definitions missing from a log).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from .prices import Price
from ..model.tokens import TokenCounter

LOOKBACK = 20
TTL_5M, TTL_1H = 300.0, 3600.0
USAGE_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


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


@dataclass(slots=True)
class Calibration:
    """real tokens ≈ a + b·estimate, fitted by least squares on (estimate, observed prompt tokens) pairs."""

    a: float = 0.0
    b: float = 1.0
    samples: int = 0

    def tokens(self, est: int) -> int:
        return int(round(self.a + self.b * est)) if est else 0

    def to_dict(self) -> dict[str, Any]:
        return {"a": round(self.a, 1), "b": round(self.b, 4), "samples": self.samples}

    @classmethod
    def fit(cls, pairs: list[tuple[int, int]]) -> "Calibration":
        pairs = [(e, o) for e, o in pairs if e > 0 and o > 0]
        if not pairs:
            return cls()
        if len(pairs) == 1 or len({e for e, _ in pairs}) == 1:
            e, o = pairs[-1]
            return cls(max(0.0, float(o - e)), 1.0, len(pairs)) if o >= e else cls(0.0, o / e, len(pairs))
        n = len(pairs)
        mx = sum(e for e, _ in pairs) / n
        my = sum(o for _, o in pairs) / n
        sxx = sum((e - mx) ** 2 for e, _ in pairs)
        b = sum((e - mx) * (o - my) for e, o in pairs) / sxx
        a = my - b * mx
        if not 0.3 <= b <= 3.0 or a < 0:             # degenerate fit: fall back to a pure ratio
            b, a = my / mx, 0.0
        return cls(a, b, n)


@dataclass(slots=True)
class Bill:
    """What one request is billed under the model, with the block boundaries that produced it."""

    usage: dict[str, int]
    read_block: int = -1              # last block of the prefix read from the cache (-1: none)
    write_block: int = -1             # last block written (-1: none)
    cold: bool = False                # nothing could be read (first request, expired TTL, changed prefix)
    usd: float = 0.0
    w1h_block: int = -1               # last block written with the 1-hour TTL (-1: none)
    total: int = 0                    # calibrated prompt tokens

    def price_at(self, block: int, price: Price) -> float:
        """USD per million tokens this request paid for the tokens of `block`."""
        if block <= self.read_block:
            return price.read
        if block <= self.w1h_block:
            return price.write_1h
        if block <= self.write_block:
            return price.write_5m
        return price.input


@dataclass(slots=True)
class CacheSim:
    """The cache of one organisation (shared by every session of an input); feed requests in time order."""

    lookback: int = LOOKBACK
    entries: dict[bytes, tuple[float, float]] = field(default_factory=dict)   # prefix digest -> (expiry, ttl)

    def bill(self, shape: Shape, ts: float, cal: Calibration, price: Price, output_tokens: int = 0) -> Bill:
        cum, tok = shape.cum, cal.tokens

        class _Pos:                                   # calibrated tokens through block i, computed on demand
            def __getitem__(self, i: int) -> int:
                return tok(cum[i])

        pos = _Pos()
        total = cal.tokens(shape.total)
        minimum = price.min_cacheable
        read = -1
        for i, _ in shape.breakpoints:
            for j in range(i, max(-1, i - self.lookback - 1), -1):
                if j <= read:
                    break
                e = self.entries.get(shape.digests[j])
                if e is not None and e[0] >= ts and pos[j] >= minimum:
                    read = j
                    break
        written = [(i, ttl) for i, ttl in shape.breakpoints if pos[i] >= minimum]
        last_w = max((i for i, _ in written), default=-1)
        r_tok = pos[read] if read >= 0 else 0
        w_tok = max(0, pos[last_w] - r_tok) if last_w > read else 0
        w1h, w1h_block = 0, -1
        long = [i for i, ttl in written if ttl == TTL_1H and i > read]
        if long:
            w1h_block = max(long)
            w1h = pos[w1h_block] - r_tok
        end = max(r_tok, pos[last_w] if last_w >= 0 else 0)
        usage = {"input_tokens": max(0, total - end), "cache_creation_input_tokens": w_tok,
                 "cache_read_input_tokens": r_tok}
        if w1h:
            usage["cache_creation_1h_input_tokens"] = w1h
        if read >= 0:
            _, ttl = self.entries[shape.digests[read]]
            self.entries[shape.digests[read]] = (ts + ttl, ttl)
        for i, ttl in written:
            old = self.entries.get(shape.digests[i])
            keep = max(ttl, old[1]) if old and old[0] >= ts else ttl
            self.entries[shape.digests[i]] = (ts + keep, keep)
        usd = price.usd({**usage, "output_tokens": output_tokens})
        return Bill(usage, read, last_w if last_w > read else -1, read < 0, usd, w1h_block, total)

    def expire(self, now: float) -> None:
        """Drop dead entries (bounded memory over a long replay)."""
        for k in [k for k, (exp, _) in self.entries.items() if exp < now]:
            del self.entries[k]


def usage_of(d: dict[str, Any] | None) -> dict[str, int] | None:
    """The three billed input fields of a recorded usage dict, or None when it has none of them."""
    if not d or not any(isinstance(d.get(k), int) for k in USAGE_KEYS):
        return None
    return {k: int(d.get(k) or 0) for k in USAGE_KEYS}
