"""The simulator's sample project: a small deterministic Python package written into a work directory."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

# Relative path -> marker word; every file holds `PICHAY_MARKER = "<word>"` and a footer naming it again.
MARKERS: dict[str, str] = {
    "README.md": "garnet",
    "inventory/__init__.py": "alder",
    "inventory/models.py": "amber",
    "inventory/storage.py": "basalt",
    "inventory/pricing.py": "cobalt",
    "inventory/report.py": "ember",
    "inventory/cli.py": "dune",
    "tests/test_pricing.py": "fjord",
}
# Extra generated modules (only for scripts that need a bigger working set, e.g. `long`).
PLUGIN_MARKERS: dict[str, str] = {
    f"inventory/plugins/plugin_{i:02d}.py": word
    for i, word in enumerate(["helix", "iris", "jade", "kelp", "lumen"], start=1)
}
PY_FILES: list[str] = [p for p in MARKERS if p.endswith(".py")]

_PLUGIN_TEMPLATE = '''"""Stock adjustment plugin {n:02d}: {title}."""
from __future__ import annotations

from dataclasses import dataclass

PICHAY_MARKER = "{word}"
REVISION = 0

PLUGIN_NAME = "plugin_{n:02d}"
PRIORITY = {priority}


@dataclass
class Rule{n:02d}:
    """One adjustment rule applied by plugin {n:02d} when stock moves."""

    sku_prefix: str
    minimum: int
    factor: float = 1.0

    def applies(self, sku: str, quantity: int) -> bool:
        """True when this rule should adjust a movement of `quantity` units of `sku`."""
        return sku.startswith(self.sku_prefix) and quantity >= self.minimum

    def adjust(self, quantity: int) -> int:
        """The adjusted quantity, never below zero."""
        return max(0, round(quantity * self.factor))


RULES: list[Rule{n:02d}] = [
{rules}
]


def apply(sku: str, quantity: int) -> int:
    """Run every matching rule in order and return the final quantity."""
    for rule in RULES:
        if rule.applies(sku, quantity):
            quantity = rule.adjust(quantity)
    return quantity


def describe() -> list[str]:
    """Human readable list of the rules, for the `plugins` report."""
    lines = [f"{{PLUGIN_NAME}} (priority {{PRIORITY}}): {{len(RULES)}} rules"]
    for rule in RULES:
        lines.append(f"  {{rule.sku_prefix:<4}} >= {{rule.minimum:>5}} units: x{{rule.factor:.2f}}")
    return lines

# end of {path} -- PICHAY_MARKER {word}
'''
_TITLES = ["round bulk hardware", "cap electrical packs", "tools shrinkage", "plumbing seasonality",
           "clearance multiplier"]


def _plugin_source(path: str, n: int, word: str) -> str:
    prefixes = ["HW-", "EL-", "TL-", "PL-"]
    rules = "\n".join(
        f'    Rule{n:02d}("{prefixes[(n + k) % 4]}", {(k + 1) * 25 * n}, {1 + ((n * 7 + k) % 9) / 20:.2f}),'
        for k in range(24)
    )
    return _PLUGIN_TEMPLATE.format(n=n, title=_TITLES[(n - 1) % len(_TITLES)], word=word,
                                   priority=10 * n, rules=rules, path=path)


def file_contents(script: str = "coding") -> dict[str, str]:
    """Relative path -> content of every file of the sample project for `script`."""
    base = resources.files("pichay_tui.sim") / "files"
    out: dict[str, str] = {}
    for rel in MARKERS:
        name = rel.replace("/", "__") + ".tmpl"
        out[rel] = (base / name).read_text(encoding="utf-8")
    if script == "long":
        for n, (rel, word) in enumerate(PLUGIN_MARKERS.items(), start=1):
            out[rel] = _plugin_source(rel, n, word)
    return out


def create_sample_project(dir: Path | str, script: str = "coding") -> Path:
    """Write the sample project into `dir` (created if needed) and return its resolved path."""
    root = Path(dir).resolve()
    for rel, text in file_contents(script).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root
