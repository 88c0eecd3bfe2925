"""The real-client matrix: one client × one scenario through `pichay-tui serve` to the scripted upstream, judged.

A cell runs the installed `pichay-tui serve` as a subprocess between a real client (a Claude Code build or the Agent
SDK, see `clients.py`) and the scripted upstream, then checks what a user relies on (matrix_judge.py): the client
exits 0 with the right answer; faults happen exactly where the scenario makes them real; the conversation is one
main session with its subagents as children; nothing of ours (phantom tools, cleanup tags, handles) reaches the
client.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from .clients import Client, run_client
from .matrix_judge import Cell, judge
from .sample_project import create_sample_project
from .script import expected_answer, script_prompt
from .upstream import create_upstream_app, run_upstream

AGE_THRESHOLD = 4
LISTEN_RE = re.compile(r"pichay-tui listening on (http://127\.0\.0\.1:\d+)")


@dataclass(frozen=True)
class Scenario:
    """A script plus where its faults are real: the steps whose results the model needs after their eviction."""

    key: str
    title: str
    script: str
    fault_steps: tuple[int, ...]       # tool_use step of every page that must fault (once), in the main session
    subagents: int = 0                 # subagent conversations the script starts


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("files", "(a) 12 tool turns, 6 files, re-reads", "matrix-files", fault_steps=(1,)),
    Scenario("subagent", "(b) subagent report > 500 B needed at the end", "matrix-subagent", fault_steps=(2,),
             subagents=1),
    Scenario("cooperative", "(c) memory_release then memory_fault", "cooperative", fault_steps=(0,)),
)
SCENARIOS_BY_KEY = {s.key: s for s in SCENARIOS}


def serve_command() -> list[str]:
    """The installed `pichay-tui` command (beside this interpreter first, then PATH)."""
    beside = Path(sys.executable).parent / "pichay-tui"
    found = str(beside) if beside.exists() else shutil.which("pichay-tui")
    if not found:
        raise FileNotFoundError("the `pichay-tui` command is not installed: run `pip install -e .` (./test.sh does)")
    return [found]


async def _serve(args: list[str], env: dict[str, str]):
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE, env=env)
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
    m = LISTEN_RE.fullmatch(line)
    if not m:
        proc.kill()
        err = (await proc.stderr.read()).decode()[-2000:]
        raise RuntimeError(f"pichay-tui serve did not start: {line!r}\n{err}")
    return proc, m.group(1)


async def run_cell(client: Client, scenario: Scenario, tmp: Path, timeout: float = 120.0) -> tuple[Cell, dict]:
    """Run one cell in `tmp`; returns the judged Cell and the raw material (run, state, recording path)."""
    cell = Cell(client.key, scenario.key, expected=expected_answer(scenario.script))
    client.check()
    work = create_sample_project(tmp / "work")
    record = tmp / "session.jsonl"
    env = {**os.environ, "HOME": str(tmp / "serve-home")}
    app = create_upstream_app(script=scenario.script, workdir=work)
    t0 = time.monotonic()
    async with run_upstream(app) as upstream:
        proc, url = await _serve([*serve_command(), "serve", "--port", "0", "--upstream", upstream,
                                  "--age-threshold", str(AGE_THRESHOLD), "--record", str(record)], env)
        try:
            run = await run_client(client, script_prompt(scenario.script, str(work)), url, work,
                                   home=tmp / "home", timeout=timeout)
            async with httpx.AsyncClient() as c:
                state = (await c.get(f"{url}/_pichay/state")).json()
        finally:
            proc.terminate()
            serve_code = await asyncio.wait_for(proc.wait(), 15)
    cell.seconds = round(time.monotonic() - t0, 1)
    serve_err = (await proc.stderr.read()).decode("utf-8", "replace")
    raw = {"run": run, "state": state, "record": record, "work": work, "serve_stderr": serve_err}
    judge(cell, scenario, run, state, record, serve_code, serve_err, home=tmp / "home")
    return cell, raw
