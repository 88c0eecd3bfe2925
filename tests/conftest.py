"""Shared fixtures: where the real-traffic captures are (CI points PICHAY_CAPTURES at ../shared/captures)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


def captures_dir() -> Path:
    env = os.environ.get("PICHAY_CAPTURES")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "captures")
    for c in candidates:
        if c.is_dir():
            return c
    pytest.fail("real-traffic captures not found: set PICHAY_CAPTURES to the shared/captures folder "
                "(./test.sh does this when ../shared/captures exists)")


@pytest.fixture
def captures() -> Path:
    return captures_dir()
