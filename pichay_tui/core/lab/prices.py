"""Prompt-caching prices and limits per model: configuration, not code (override with `load_prices`).

Figures are Anthropic's published list prices in USD per million tokens (platform.claude.com pricing page: base input,
5-minute cache write = 1.25× input, 1-hour cache write = 2× input, cache hit/refresh = 0.1× input, output) and the
minimum cacheable prompt length per model (a breakpoint whose prefix is shorter is not cached at all). Unknown models
(e.g. a scripted upstream's "claude-sim-1") use the "default" row.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens."""

    input: float
    write_5m: float
    write_1h: float
    read: float
    output: float
    min_cacheable: int = 1024

    def usd(self, usage: dict[str, Any]) -> float:
        """Dollars of one request's usage (Anthropic field names). The 1-hour part of the cache writes comes from the
        API's `cache_creation.ephemeral_1h_input_tokens`, or from our model's `cache_creation_1h_input_tokens`."""
        split = usage.get("cache_creation")
        w1h = int(usage.get("cache_creation_1h_input_tokens") or
                  (split.get("ephemeral_1h_input_tokens") if isinstance(split, dict) else 0) or 0)
        w5m = int(usage.get("cache_creation_input_tokens") or 0) - w1h
        return (int(usage.get("input_tokens") or 0) * self.input + w5m * self.write_5m + w1h * self.write_1h
                + int(usage.get("cache_read_input_tokens") or 0) * self.read
                + int(usage.get("output_tokens") or 0) * self.output) / 1e6


def _p(base: float, output: float, min_cacheable: int) -> Price:
    return Price(base, base * 1.25, base * 2, base * 0.1, output, min_cacheable)


# model-name prefix -> price; the longest matching prefix wins (dated ids like claude-opus-4-5-20251101 match)
PRICES: dict[str, Price] = {
    "claude-opus-4-6": _p(5, 25, 4096),
    "claude-opus-4-5": _p(5, 25, 4096),
    "claude-opus-4-1": _p(15, 75, 1024),
    "claude-opus-4": _p(15, 75, 1024),
    "claude-sonnet-4-6": _p(3, 15, 2048),
    "claude-sonnet-4-5": _p(3, 15, 1024),
    "claude-sonnet-4": _p(3, 15, 1024),
    "claude-3-7-sonnet": _p(3, 15, 1024),
    "claude-haiku-4-5": _p(1, 5, 4096),
    "claude-3-5-haiku": Price(0.8, 1.0, 1.6, 0.08, 4, 2048),
    "claude-3-haiku": Price(0.25, 0.30, 0.50, 0.03, 1.25, 2048),
    "default": _p(3, 15, 1024),
}


def price_for(model: str | None, table: dict[str, Price] | None = None) -> Price:
    """The price row of a model id (longest known prefix), else the "default" row."""
    table = table or PRICES
    name = (model or "").lower()
    best = ""
    for k in table:
        if k != "default" and name.startswith(k) and len(k) > len(best):
            best = k
    return table[best] if best else table["default"]


def load_prices(path: str | Path) -> dict[str, Price]:
    """A JSON price table ({model: {input, write_5m, write_1h, read, output, min_cacheable}}) merged over PRICES."""
    data = json.loads(Path(path).read_text())
    out = dict(PRICES)
    for k, v in data.items():
        out[k] = Price(**v)
    return out
