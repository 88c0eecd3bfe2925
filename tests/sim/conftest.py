"""Fixtures for the simulator tests: a sample project and a real uvicorn upstream on 127.0.0.1."""
from __future__ import annotations

import pytest

from pichay_tui.sim.sample_project import create_sample_project
from pichay_tui.sim.upstream import create_upstream_app, run_upstream


@pytest.fixture
def workdir(tmp_path):
    return create_sample_project(tmp_path / "work")


@pytest.fixture
async def upstream(workdir):
    app = create_upstream_app(script="coding", workdir=workdir)
    async with run_upstream(app) as url:
        yield url, app.state.sim
