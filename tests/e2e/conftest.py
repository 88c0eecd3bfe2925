"""The client-matrix log: every judged cell of a run, written as JSON when PICHAY_MATRIX_JSON names a file."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def matrix_log():
    cells: list[dict] = []
    yield cells.append
    out = os.environ.get("PICHAY_MATRIX_JSON")
    if out and cells:
        Path(out).write_text(json.dumps(cells, indent=1) + "\n")
