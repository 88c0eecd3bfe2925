"""The real-client matrix as a markdown table: version × scenario → result, with the faults and sessions produced.

Runs every cell (each pinned Claude Code build and the Agent SDK × the three scenarios) through the installed
`pichay-tui serve` to the scripted upstream — the same harness as tests/e2e/test_client_matrix.py — or renders the
JSON a test run wrote (`./test.sh` writes build/client-matrix.json). Prints the table and the time the cells took.
Run: python bench/client_matrix.py [--from build/client-matrix.json] [--json OUT] [--clients cc-2.0.77,...]
[--readme README.md]  (rewrites the table between the README's client-matrix markers)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from pathlib import Path

from pichay_tui.sim.clients import CLIENTS, CLIENTS_BY_KEY
from pichay_tui.sim.matrix import SCENARIOS, run_cell


async def run_all(clients: list[str]) -> list[dict]:
    cells = []
    for key in clients:
        for sc in SCENARIOS:
            with tempfile.TemporaryDirectory(prefix=f"matrix-{key}-{sc.key}-") as tmp:
                cell, _ = await run_cell(CLIENTS_BY_KEY[key], sc, Path(tmp))
            cells.append(cell.to_dict())
            print(f"{key:12} {sc.key:12} {'pass' if cell.passed else 'FAIL'} {cell.seconds:5.1f} s", flush=True)
    return cells


def _cell_text(c: dict) -> str:
    faults = "; ".join(c["faults"]) or "none"
    sessions = ", ".join(c["sessions"]) or "?"
    head = "✅ pass" if c["passed"] else "❌ FAIL"
    text = f"{head}<br>faults: {faults}<br>sessions: {sessions}"
    if not c["passed"]:
        text += "<br>" + "<br>".join(p.replace("|", "\\|")[:160] for p in c["problems"])
    return text


def render(cells: list[dict]) -> str:
    labels = {c.key: c.label for c in CLIENTS}
    by = {(c["client"], c["scenario"]): c for c in cells}
    keys = [c.key for c in CLIENTS if any(k == c.key for k, _ in by)]
    rows = ["| client | " + " | ".join(s.title for s in SCENARIOS) + " |",
            "|---|" + "---|" * len(SCENARIOS)]
    for key in keys:
        row = [_cell_text(by[(key, s.key)]) if (key, s.key) in by else "not run" for s in SCENARIOS]
        rows.append(f"| {labels.get(key, key)} | " + " | ".join(row) + " |")
    passed = sum(c["passed"] for c in cells)
    secs = sum(c["seconds"] for c in cells)
    rows.append("")
    rows.append(f"{passed}/{len(cells)} cells pass; the cells took {secs:.0f} s in all.")
    return "\n".join(rows)


BEGIN, END = "<!-- client-matrix:begin -->", "<!-- client-matrix:end -->"


def update_readme(path: Path, table: str) -> None:
    """Replace the block between the client-matrix markers (which must exist) with `table`."""
    text = path.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: no {BEGIN} … {END} block")
    new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: f"{BEGIN}\n{table}\n{END}", text, flags=re.S)
    path.write_text(new)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--from", dest="src", help="render this JSON (written by a test run) instead of running")
    ap.add_argument("--json", help="also write the cells as JSON here")
    ap.add_argument("--clients", default=",".join(c.key for c in CLIENTS))
    ap.add_argument("--readme", help="rewrite the table between this file's client-matrix markers")
    args = ap.parse_args()
    t0 = time.monotonic()
    if args.src:
        cells = json.loads(Path(args.src).read_text())
    else:
        cells = asyncio.run(run_all(args.clients.split(",")))
        print(f"wall time {time.monotonic() - t0:.0f} s\n")
    if args.json:
        Path(args.json).write_text(json.dumps(cells, indent=1) + "\n")
    table = render(cells)
    print(table)
    if args.readme:
        update_readme(Path(args.readme), table)


if __name__ == "__main__":
    main()
