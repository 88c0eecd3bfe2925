"""Pager configuration: policy knobs and pressure-zone thresholds, with the paper's presets."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Zones:
    """Token thresholds of the graduated pressure zones within a context window."""

    window: int = 200_000
    advisory: int = 100_000
    involuntary: int = 140_000
    aggressive: int = 170_000

    @classmethod
    def preset(cls, name: str) -> "Zones":
        if name == "paper":
            return cls(window=200_000, advisory=60_000, involuntary=100_000, aggressive=120_000)
        if name == "default":
            return cls()
        raise ValueError(f"unknown zone preset {name!r} (choose 'default' or 'paper')")

    def zone_of(self, tokens: int) -> str:
        if tokens >= self.aggressive:
            return "aggressive"
        if tokens >= self.involuntary:
            return "involuntary"
        if tokens >= self.advisory:
            return "advisory"
        return "normal"

    def next_threshold(self, tokens: int) -> tuple[str, int] | None:
        """The next zone up and how many tokens remain until it, or None in the top zone."""
        for name, limit in (("advisory", self.advisory), ("involuntary", self.involuntary),
                            ("aggressive", self.aggressive)):
            if tokens < limit:
                return name, limit - tokens
        return None


@dataclass(frozen=True, slots=True)
class PagerConfig:
    """Everything a policy and the outbound view need to know; immutable so sessions can share it."""

    mode: str = "page"                 # "page" sends the outbound view, "observe" forwards the client's bytes
    policy: str = "fifo"
    age_threshold: int = 4             # τ, in user turns
    min_size: int = 500                # bytes; smaller results are never worth a handle
    zones: Zones = field(default_factory=Zones)
    advisory_note: bool = True         # inject the status note in the advisory zone and above
    gate_on_pressure: bool = False     # only evict automatically at involuntary pressure or above
    fault_pinning: bool = True
    cooperative: bool = True           # inject memory_release / memory_fault (the proxy strips them from responses);
                                       # off: memory_fault alone is still offered once a handle is in the context
    trim_tools: bool = False           # stub unused tool definitions (lossless; costs one tools-prefix cache miss)
    dedup_reminders: bool = True       # repeated identical <system-reminder> blocks point at the first copy
    policy_args: dict[str, Any] = field(default_factory=dict)
    tool_classes: dict[str, str] = field(default_factory=dict)   # NAME (or glob) -> addressable|gc|keep overrides

    def with_(self, **kw: Any) -> "PagerConfig":
        return replace(self, **kw)
