"""`~/.config/pichay-tui/config.toml`: key remapping by binding id, theme, refresh rate and policy defaults.

    theme = "textual-dark"
    refresh_hz = 8
    [keymap]                 # binding id = "comma,separated,keys"
    "page.pin" = "p,P"
    [policy]                 # defaults for the proxy flags (the command line still wins: settings.resolve)
    age_threshold = 6
    min_size = 800
    zones = "paper"
    [policy.tool_classes]    # paging class per tool name or glob: addressable | gc | keep (docs/tool-classes.md)
    Bash = "addressable"
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..settings import POLICY_KEYS


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "pichay-tui" / "config.toml"


@dataclass(slots=True)
class UIConfig:
    theme: str = "textual-dark"
    refresh_hz: float = 8.0
    keymap: dict[str, str] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> "UIConfig":
        """Read the config file; a missing file gives defaults, a broken one gives defaults plus `error`."""
        path = path or config_path()
        if not path.exists():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            return cls(error=f"{path}: {e}")
        keymap = {str(k): str(v) for k, v in (data.get("keymap") or {}).items()}
        policy = {k: v for k, v in (data.get("policy") or {}).items() if k in POLICY_KEYS}
        error = ""
        if "tool_classes" in policy:
            from ..core.model.tool_classes import parse_tool_classes

            try:
                policy["tool_classes"] = parse_tool_classes(policy["tool_classes"] or {})
            except (ValueError, AttributeError) as e:
                error = f"{path}: [policy.tool_classes] ignored: {e}"
                del policy["tool_classes"]
        hz = data.get("refresh_hz", 8.0)
        return cls(theme=str(data.get("theme", "textual-dark")),
                   refresh_hz=min(30.0, max(1.0, float(hz))) if isinstance(hz, (int, float)) else 8.0,
                   keymap=keymap, policy=policy, error=error)
