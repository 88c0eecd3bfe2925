"""kill -9 the headless proxy mid-session, restart it on the same --state-dir: the session resumes where it was."""
from __future__ import annotations

import asyncio
import re
import signal
import sys

import httpx
import orjson

from pichay_tui.core.lab.synthetic import file_content
from pichay_tui.sim.upstream import create_upstream_app, run_upstream

from ..core.helpers import UNCHANGED_PREFIXES, Conversation

VOLATILE = {"last_access"}


async def start_serve(upstream: str, state_dir) -> tuple[asyncio.subprocess.Process, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from pichay_tui.cli.main import main; main()", "serve", "--port", "0",
        "--upstream", upstream, "--state-dir", str(state_dir),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
    m = re.fullmatch(r"pichay-tui listening on (http://127\.0\.0\.1:\d+)", line)
    assert m, line
    token = (await asyncio.wait_for(proc.stdout.readline(), 5)).decode().strip()
    assert token.startswith("pichay-tui control token: "), token
    return proc, m.group(1), token.rsplit(" ", 1)[1]


async def send(client: httpx.AsyncClient, url: str, conv: Conversation) -> None:
    body = conv.body()
    body["stream"] = False
    r = await client.post(f"{url}/v1/messages", content=orjson.dumps(body),
                          headers={"x-api-key": "dummy-key-kill9", "anthropic-version": "2023-06-01",
                                   "content-type": "application/json"})
    assert r.status_code == 200, r.text


def pages(state: dict) -> list[dict]:
    return [{k: v for k, v in p.items() if k not in VOLATILE} for p in state["sessions"][0]["pages"]]


async def test_kill9_then_restart_resumes_pages_handles_and_counters(tmp_path):
    state_dir = tmp_path / "state"
    app = create_upstream_app(script="coding", workdir=tmp_path)
    conv = Conversation("kill9")
    async with run_upstream(app) as up, httpx.AsyncClient(timeout=30) as client:
        proc, url, token = await start_serve(up, state_dir)
        try:
            for i in range(7):
                conv.read(f"/src/f{i % 5}.py")
                await send(client, url, conv)
            cmd = await client.post(f"{url}/_pichay/commands", json={
                "command": "page.pin", "page": next(p["id"] for p in (await client.get(f"{url}/_pichay/state")).json()
                                                    ["sessions"][0]["pages"]
                                                    if p["kind"] == "tool_result" and p["state"] == "resident")},
                headers={"authorization": f"Bearer {token}"})
            assert cmd.json()["ok"]
            before = (await client.get(f"{url}/_pichay/state")).json()
        finally:
            proc.send_signal(signal.SIGKILL)            # no clean shutdown, no final flush
            await proc.wait()
        assert proc.returncode == -signal.SIGKILL

        proc, url, _ = await start_serve(up, state_dir)
        try:
            after = (await client.get(f"{url}/_pichay/state")).json()
            assert pages(after) == pages(before)
            assert after["sessions"][0]["stats"] == before["sessions"][0]["stats"]
            assert after["sessions"][0]["pending"] == before["sessions"][0]["pending"]   # the accepted pin survived
            s0 = before["sessions"][0]["stats"]
            assert s0["evictions"] >= 2 and s0["faults"] >= 1
            # the client re-sends its last request (a retry): nothing is counted twice
            await send(client, url, conv)
            again = (await client.get(f"{url}/_pichay/state")).json()["sessions"][0]["stats"]
            assert again["requests"] == s0["requests"] and again["faults"] == s0["faults"]
            # /src/f2.py was evicted before the kill: an 'unchanged' re-read is answered from SQLite
            conv.call("Read", {"file_path": "/src/f2.py"}, UNCHANGED_PREFIXES[0] + ".")
            await send(client, url, conv)
            sent = app.state.sim.message_bodies()[-1]
            last = sent["messages"][-1]["content"][0]
            assert last["content"] == file_content("/src/f2.py", 0, 120)
            final = (await client.get(f"{url}/_pichay/state")).json()["sessions"][0]
            assert final["stats"]["requests"] == s0["requests"] + 1
            assert final["stats"]["minor_faults"] == s0["minor_faults"] + 1
            pinned = [p for p in final["pages"] if p["pin_reason"] == "operator"]
            assert len(pinned) == 1                                            # the pin applied after restart
        finally:
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 20) == 0
    raw = b"".join(p.read_bytes() for p in state_dir.iterdir())
    assert b"dummy-key-kill9" not in raw
