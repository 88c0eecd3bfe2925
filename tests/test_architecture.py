"""The import direction of docs/architecture.md, enforced: import-linter's contracts in pyproject.toml (layers
core <- store <- proxy <- ui <- cli, sim only from cli and tests, core sans-io) and scripts/import_graph.py --check
(no module-level import cycle, no wrong-way edge)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# lint-imports' own entry point, run by this interpreter (a venv with system site-packages has no script of its own)
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_import_linter_contracts_kept() -> None:
    p = subprocess.run([sys.executable, "-c", LINT_IMPORTS, "--no-cache"], cwd=REPO, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in p.stdout


def test_no_import_cycle_and_no_wrong_way_edge() -> None:
    p = subprocess.run([sys.executable, str(REPO / "scripts" / "import_graph.py"), str(REPO), "--check"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert "0 cycles, 0 wrong-way edges" in p.stdout
