"""`pichay-tui serve` as a real subprocess: the first stdout line, serving through it, clean exit on signals."""
from __future__ import annotations

import asyncio
import re
import signal
import sys

import pytest

from pichay_tui.sim.agent import SimulatedAgent
from pichay_tui.sim.script import answer_ok
from proxy_helpers import get_json

LINE = re.compile(r"^pichay-tui listening on (http://127\.0\.0\.1:(\d+))$")


async def start_serve(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from pichay_tui.cli.main import main; main()", "serve", "--port", "0", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().rstrip("\n")
    m = LINE.match(first)
    assert m, f"unexpected first line {first!r}"
    return proc, m.group(1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_serve_subprocess(upstream, tmp_path, sig):
    record = tmp_path / "r.jsonl"
    proc, url = await start_serve("--upstream", upstream.url, "--age-threshold", "4", "--record", str(record),
                                  "--state-dir", str(tmp_path / "state"))
    try:
        token = (await asyncio.wait_for(proc.stdout.readline(), 5)).decode()
        assert re.fullmatch(r"pichay-tui control token: [A-Za-z0-9_-]{32,}\n", token), token
        hint = (await asyncio.wait_for(proc.stdout.readline(), 5)).decode()
        assert f"ANTHROPIC_BASE_URL={url}" in hint
        result = await SimulatedAgent(url, upstream.workdir, script="coding").run()
        assert answer_ok(result.final_text, "coding")
        state = await get_json(f"{url}/_pichay/state")
        assert state["sessions"][0]["stats"]["evictions"] >= 1
    finally:
        proc.send_signal(sig)
        code = await asyncio.wait_for(proc.wait(), 15)
    stderr = (await proc.stderr.read()).decode()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert (tmp_path / "state").is_dir()
    assert record.read_bytes().startswith(b'{"type":"header","format":"pichay-recording","format_version":2')


async def test_serve_warns_for_non_loopback_host(upstream):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from pichay_tui.cli.main import main; main()", "serve", "--port", "0", "--host", "0.0.0.0",
        "--upstream", upstream.url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    assert first.startswith("pichay-tui listening on http://0.0.0.0:")
    warning = (await asyncio.wait_for(proc.stderr.readline(), 5)).decode()
    assert "not loopback" in warning
    proc.terminate()
    assert await asyncio.wait_for(proc.wait(), 15) == 0
