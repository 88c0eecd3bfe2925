"""The policy flags `analyze` and `replay` share (--policy, --age-threshold, --min-size, --zones, --policy-arg) and the
PagerConfig they make. They do not read config.toml: only the TUI's proxy options do (settings.resolve)."""
from __future__ import annotations

from typing import Any

import click


def _policy_args(items: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--policy-arg")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def pager_config(policy: str, age_threshold: int, min_size: int, zones: str, policy_arg: tuple[str, ...],
                 fault_pinning: bool = True):
    """The PagerConfig for these flags; ValueError for an unknown policy name."""
    from ..core.model.config import PagerConfig, Zones
    from ..core.paging.policies import make_policy

    make_policy(policy)  # validates the name (raises ValueError)
    return PagerConfig(policy=policy, age_threshold=age_threshold, min_size=min_size, zones=Zones.preset(zones),
                       policy_args=_policy_args(policy_arg), fault_pinning=fault_pinning)


def policy_knobs(f):
    """Decorate a click command with the policy flags."""
    for d in reversed([
        click.option("--policy", default="fifo", show_default=True, help="Eviction policy (see docs/policies.md)."),
        click.option("--age-threshold", default=4, show_default=True, type=click.IntRange(1),
                     help="τ: evict tool results this many user turns old."),
        click.option("--min-size", default=500, show_default=True, type=click.IntRange(0),
                     help="Never evict results smaller than this many bytes."),
        click.option("--zones", type=click.Choice(["default", "paper"]), default="default", show_default=True,
                     help="Pressure-zone preset."),
        click.option("--policy-arg", multiple=True, metavar="NAME=VALUE",
                     help="A policy knob, e.g. budget_tokens=20000 (lru), trigger=100000 (anthropic_clear)."),
    ]):
        f = d(f)
    return f
