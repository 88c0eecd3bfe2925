"""The real-client matrix: every pinned Claude Code build and the Agent SDK × three scenarios, through `serve`.

Each cell runs the installed `pichay-tui serve` between the real client and the scripted upstream and asserts: exit 0,
the correct final answer, faults exactly on the pages the scenario needs back (none on pages re-read while
resident), one main session with its subagents (and the client's warm-ups) as children, no conversation merged into
another, and nothing of ours in the client's output. A client missing from tools/node_modules fails its cells.
`PICHAY_MATRIX_JSON=path` writes every cell's findings (`python bench/client_matrix.py --from path` renders them).
"""
from __future__ import annotations

import pytest

from pichay_tui.sim.clients import CLIENTS, ClientMissing
from pichay_tui.sim.matrix import SCENARIOS, run_cell

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.key)
@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.key)
async def test_client_matrix(client, scenario, tmp_path, matrix_log):
    try:
        client.check()
    except ClientMissing as e:
        pytest.fail(str(e))
    cell, raw = await run_cell(client, scenario, tmp_path)
    matrix_log(cell.to_dict())
    detail = "\n".join(cell.problems) + f"\nfaults={cell.faults} sessions={cell.sessions}"
    assert cell.passed, detail
    # what the cell saw, independently of the judge: the answer line and the faults it lists
    assert cell.answer == cell.expected and cell.exit_code == 0
    assert len(cell.faults) == len(scenario.fault_steps)
