"""Real servers on 127.0.0.1: the scripted upstream (wrapped to capture raw bytes) and the proxy under test."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.sample_project import create_sample_project
from pichay_tui.sim.upstream import create_upstream_app, run_upstream
from proxy_helpers import CaptureRaw, Upstream


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return create_sample_project(tmp_path / "project")


@pytest.fixture
async def upstream(project: Path):
    app = create_upstream_app(script="coding", workdir=project)
    cap = CaptureRaw(app)
    async with run_upstream(cap) as url:
        yield Upstream(url, app, cap, project)


@pytest.fixture
async def make_proxy(upstream: Upstream):
    servers: list[ProxyServer] = []

    async def make(mode: str = "page", age_threshold: int = 4, record: str | None = None, url: str | None = None,
                   **kw: Any) -> ProxyServer:
        opts = ProxyOptions(port=0, upstream=url or upstream.url, mode=mode, age_threshold=age_threshold,
                            record=record)
        server = ProxyServer(opts, **kw)
        servers.append(server)
        await server.start()
        return server

    yield make
    for s in servers:
        await s.stop()


@pytest.fixture
async def proxy(make_proxy) -> ProxyServer:
    return await make_proxy()
