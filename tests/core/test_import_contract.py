"""pichay_tui.core must stay sans-io and UI-free: importing any core module may not load these packages."""
from __future__ import annotations

import pkgutil
import subprocess
import sys

import pichay_tui.core as core

FORBIDDEN = ("textual", "rich", "starlette", "uvicorn", "httpx")


def core_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(core.__path__, "pichay_tui.core."))


def test_core_has_modules():
    assert "pichay_tui.core.engine.facade" in core_modules()


def test_no_core_module_imports_io_or_ui_packages():
    script = (
        "import importlib, sys, json\n"
        f"mods = {core_modules()!r}\n"
        f"bad = {FORBIDDEN!r}\n"
        "out = {}\n"
        "for m in mods:\n"
        "    importlib.import_module(m)\n"
        "    out[m] = sorted(k for k in sys.modules if k.split('.')[0] in bad)\n"
        "print(json.dumps(out))\n"
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    import json

    loaded = json.loads(res.stdout)
    offenders = {m: mods for m, mods in loaded.items() if mods}
    assert not offenders, f"core modules pulled in forbidden packages: {offenders}"
