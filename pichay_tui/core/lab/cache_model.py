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
A request's blocks, digests and breakpoints (its Shape) are built in cache_shape.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cache_shape import TTL_1H, TTL_5M, Shape, ShapeBuilder  # noqa: F401 - re-exported: the model bills Shapes
from .prices import Price

LOOKBACK = 20
USAGE_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


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
