"""Upstream failures reach the proxy's listeners (the TUI's toasts, `serve`'s log): connect errors, timeouts, 4xx/5xx,
with the session when there is one — and `serve` prints each one on stderr."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.upstream import create_upstream_app, run_upstream

CC = {"user-agent": "claude-cli/2.1.0 (external, cli)", "x-api-key": "dummy", "anthropic-version": "2023-06-01"}


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def test_listeners_hear_timeouts_and_error_statuses_with_their_session(tmp_path):
    sim = create_upstream_app(script="coding", workdir=tmp_path)
    async with run_upstream(sim) as upstream:
        server = ProxyServer(ProxyOptions(port=0, upstream=upstream),
                             timeout=httpx.Timeout(connect=2.0, read=0.3, write=2.0, pool=2.0))
        heard: list[dict] = []
        server.problem_listeners.append(heard.append)
        async with server, httpx.AsyncClient(timeout=30) as c:
            conv = Conversation("problems")
            assert (await c.post(server.url + "/v1/messages", json=conv.body(), headers=CC)).status_code == 200
            assert heard == []
            sim.state.sim.faults.update({"delay": 2.0})
            conv.bash("ls", lines=2)
            r = await c.post(server.url + "/v1/messages", json=conv.body(), headers=CC)
            assert r.status_code == 504
            sim.state.sim.faults.update({"fail_status": 500})
            r = await c.post(server.url + "/v1/messages", json=conv.body(), headers=CC)
            assert r.status_code == 500
        sid = next(iter(server.engine.sessions))
        assert [(h["status"], h["session"], h["path"]) for h in heard] == [(504, sid, "/v1/messages"),
                                                                            (500, sid, "/v1/messages")]
        assert "upstream timed out" in heard[0]["error"]


def test_serve_logs_each_upstream_failure_on_stderr(tmp_path):
    exe = Path(sys.executable).with_name("pichay-tui")
    proc = subprocess.Popen([str(exe), "serve", "--port", "0", "--upstream", f"http://127.0.0.1:{_closed_port()}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)})
    try:
        first = proc.stdout.readline()
        assert first.startswith("pichay-tui listening on http://127.0.0.1:")
        url = first.split()[-1]
        r = httpx.post(url + "/v1/messages", json=Conversation("serve").body(), headers=CC, timeout=30)
        assert r.status_code == 502
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    line = next(x for x in err.splitlines() if x.startswith("upstream error"))
    assert line.startswith("upstream error 502 on /v1/messages (session s") and "unreachable" in line
