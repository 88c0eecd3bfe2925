"""Real Claude Code (`claude -p`) through `pichay-tui serve` (a subprocess) to the scripted upstream.

The `coding` script drives 12 tool turns over six files and re-reads models.py eight user turns after first reading
it, so with τ = 4 its first read is paged out before the re-read: a real eviction followed by a real fault.
"""
from __future__ import annotations

import asyncio
import re
import sys

import httpx
import orjson
import pytest

from pichay_tui.core import recording as rec
from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine
from pichay_tui.sim.claude_cli import MISSING_HELP, find_claude, run_claude
from pichay_tui.sim.sample_project import create_sample_project
from pichay_tui.sim.script import answer_ok, script_prompt
from pichay_tui.sim.upstream import create_upstream_app, run_upstream

pytestmark = pytest.mark.e2e
VOLATILE = {"last_access", "first_seen"}


def page_states(state: dict) -> dict:
    return {s["id"]: [{k: v for k, v in p.items() if k not in VOLATILE} for p in s["pages"]]
            for s in state["sessions"]}


def tool_results(body: dict) -> list[str]:
    out = []
    for m in body.get("messages") or []:
        for b in m.get("content") if isinstance(m.get("content"), list) else []:
            if isinstance(b, dict) and b.get("type") == "tool_result":
                c = b.get("content")
                out.append(c if isinstance(c, str) else "".join(x.get("text", "") for x in c or []))
    return out


async def test_claude_code_through_serve(tmp_path):
    if find_claude() is None:
        pytest.fail(MISSING_HELP)
    work = create_sample_project(tmp_path / "work")
    record = tmp_path / "session.jsonl"
    app = create_upstream_app(script="coding", workdir=work)
    async with run_upstream(app) as upstream_url:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from pichay_tui.cli.main import main; main()", "serve", "--port", "0",
            "--upstream", upstream_url, "--mode", "page", "--age-threshold", "4", "--record", str(record),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
            m = re.fullmatch(r"pichay-tui listening on (http://127\.0\.0\.1:\d+)", first)
            assert m, first
            url = m.group(1)
            run = await run_claude(script_prompt("coding", str(work)), url, work, home=tmp_path / "home",
                                   timeout=240)
            async with httpx.AsyncClient() as c:
                state = (await c.get(f"{url}/_pichay/state")).json()
        finally:
            proc.terminate()
            code = await asyncio.wait_for(proc.wait(), 15)
    stderr = (await proc.stderr.read()).decode()
    detail = f"exit={run.exit_code} result={run.result_text!r}\nclaude stderr={run.stderr[-1500:]}\nserve={stderr}"
    assert code == 0 and "Traceback" not in stderr, detail

    # the CLI finished the task correctly
    assert run.exit_code == 0 and not run.timed_out and not run.is_error, detail
    assert answer_ok(run.result_text, "coding"), detail
    names = [u["name"] for u in run.tool_uses()]
    assert len(names) >= 8 and names.count("Read") >= 5 and {"Bash", "Edit"} <= set(names)

    # the upstream received handles instead of old content the client still sent in full
    sim = app.state.sim
    sent = sim.message_bodies()
    assert all(r["query"] == "beta=true" for r in sim.requests if r["path"] == "/v1/messages")
    steps = list(rec.read_recording(record))
    main = [s for s in steps if isinstance(s, rec.RecordedRequest) and s.engine and not s.side]
    last = main[-1]
    client_results, upstream_results = tool_results(last.exchange.body), tool_results(last.outbound)
    replaced = [(c, u) for c, u in zip(client_results, upstream_results) if c != u]
    assert replaced and all(u.startswith(("[Paged out:", "[Cleared stale output:")) and len(c) > len(u)
                            for c, u in replaced)
    assert any('PICHAY_MARKER = "amber"' in c and u.startswith("[Paged out: Read ") and "models.py" in u
               for c, u in replaced)                                    # models.py's first read was paged out
    assert any(orjson.dumps(last.outbound) == orjson.dumps(b) for b in sent)
    assert any("[Paged out:" in orjson.dumps(b).decode() for b in sent)

    # /_pichay/state: evictions, and a fault linked to the eviction it undid
    session = next(s for s in state["sessions"] if s["stats"]["requests"] >= 12)
    assert session["stats"]["evictions"] >= 1 and session["stats"]["faults"] >= 1
    fault = session["faults"][0]
    page = next(p for p in session["pages"] if p["id"] == fault["page"])
    assert page["tool"] == "Read" and "models.py" in page["key"] and page["faults"] >= 1
    evictions = [e for s in steps for e in s.events if e.kind == "page_evicted" and e.data.get("page") == page["id"]]
    assert evictions and evictions[0].turn == fault["eviction_turn"] < fault["turn"]

    # the recording replays through a fresh core to the same page states
    engine = Engine(PagerConfig(age_threshold=4))
    rec.replay(record, engine)
    assert page_states(engine.state()) == page_states(state)
