"""The proxy's settings and the one rule that layers them: typed (command line, environment) > config.toml > default.

No click and nothing from ui/, proxy/ or cli/ here, so the proxy and the UI can both import it: the front ends in
cli/ turn their flags into `ProxyOptions` with `from_flags`, and `resolve` is the only place that decides which
source wins for a field.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping

DEFAULT_UPSTREAM = "https://api.anthropic.com"
DEFAULT_HOST = "127.0.0.1"

# click's ParameterSource names (by name, so this module needs no click) that mean the user chose the value, even
# when it equals the default: `--age-threshold 4` beats config.toml's age_threshold = 9.
TYPED_SOURCES = frozenset({"COMMANDLINE", "ENVIRONMENT", "PROMPT"})

# The config.toml [policy] keys; each names a ProxyOptions field.
POLICY_KEYS = ("age_threshold", "min_size", "policy", "zones", "mode", "tool_classes")


@dataclass(slots=True)
class ProxyOptions:
    """The proxy flags shared by `pichay-tui` (the TUI), `serve` and `demo`; tests and benches build it directly."""

    host: str = DEFAULT_HOST
    port: int = 8787
    upstream: str = DEFAULT_UPSTREAM
    mode: str = "page"
    record: str | None = None
    state_dir: str | None = None
    age_threshold: int = 4
    min_size: int = 500
    policy: str = "fifo"
    zones: str = "default"
    host_explicit: bool = False
    cooperative: bool = True
    trim_tools: bool = False
    control_token: str | None = None
    allow_host: tuple[str, ...] = ()
    reset_state: bool = False
    tool_classes: dict = field(default_factory=dict)   # NAME -> addressable|gc|keep (docs/tool-classes.md)
    explicit: frozenset[str] | None = None   # flags given on the command line (None: not built from one)

    def pager_config(self):
        from .core.model.config import PagerConfig, Zones

        return PagerConfig(mode=self.mode, policy=self.policy, age_threshold=self.age_threshold,
                           min_size=self.min_size, zones=Zones.preset(self.zones), cooperative=self.cooperative,
                           trim_tools=self.trim_tools, tool_classes=dict(self.tool_classes))

    def chosen(self, name: str) -> bool:
        """Whether the user chose field `name`: typed it (built from a command line), or, for options built in code
        (`explicit` is None), set it away from its default."""
        if self.explicit is not None:
            return name in self.explicit
        return getattr(self, name, None) != getattr(_DEFAULTS, name, None)


_DEFAULTS = ProxyOptions()
_FIELDS = frozenset(f.name for f in fields(ProxyOptions)) - {"explicit", "host_explicit"}


def from_flags(values: Mapping[str, Any], sources: Mapping[str, str] | None) -> ProxyOptions:
    """ProxyOptions from a front end's flag values. `sources` maps each flag to click's ParameterSource name (None:
    not parsed from a command line); the typed ones are recorded in `explicit` for `resolve`."""
    explicit = None
    if sources is not None:
        explicit = frozenset(k for k in values if sources.get(k) in TYPED_SOURCES)
    host = values.get("host")
    kw = {k: v for k, v in values.items() if k in _FIELDS and k != "host"}
    kw["allow_host"] = tuple(values.get("allow_host") or ())
    return ProxyOptions(**kw, host=host or DEFAULT_HOST, host_explicit=host is not None, explicit=explicit)


def source_of(opts: ProxyOptions, name: str, policy: Mapping[str, Any]) -> str:
    """Which layer gives field `name` its value: "typed" (the user chose it, see `ProxyOptions.chosen`), else
    "config.toml" (a [policy] key), else "default". The only place that decides precedence."""
    if opts.chosen(name):
        return "typed"
    return "config.toml" if name in POLICY_KEYS and name in policy else "default"


def resolve(opts: ProxyOptions, policy: Mapping[str, Any]) -> ProxyOptions:
    """Fill, in place, the fields config.toml's [policy] wins (`source_of`); `serve` does not call this: it reads
    no config.toml."""
    for name, value in policy.items():
        if source_of(opts, name, policy) == "config.toml":
            setattr(opts, name, value)
    return opts
