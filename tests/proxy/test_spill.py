"""Bounded memory: idle sessions leave RAM (to the --state-dir store, else a temporary one) and come back on their
next request intact — the upstream receives exactly what a proxy that never spilled sends."""
from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.agent import SimulatedAgent

HEADERS = {"x-api-key": "dummy", "anthropic-version": "2023-06-01", "content-type": "application/json"}


async def _bodies(upstream, sid: str) -> list[bytes]:
    result = await SimulatedAgent(upstream.url, upstream.workdir, script="coding", session_id=sid).run()
    return [orjson.dumps({**b, "stream": False}) for b in result.requests]


@pytest.mark.parametrize("state_dir", [False, True])
async def test_spilled_sessions_come_back_intact(upstream, tmp_path: Path, state_dir: bool):
    bodies = {sid: await _bodies(upstream, sid) for sid in ("A", "B", "C")}
    upstream.capture.seen.clear()
    order = [(sid, b) for sid in "ABC" for b in bodies[sid][:6]] + \
            [(sid, b) for sid in "AB" for b in bodies[sid][6:]] + [("C", bodies["C"][-1]), ("A", bodies["A"][-1])]

    def server(limit: int, sd: str | None) -> ProxyServer:
        return ProxyServer(ProxyOptions(port=0, upstream=upstream.url, mode="page", age_threshold=2, state_dir=sd),
                           resident_sessions=limit)

    spilling = server(1, str(tmp_path / "state") if state_dir else None)
    reference = server(0, None)
    await spilling.start()
    await reference.start()
    spilled_seen = False
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            for sid, raw in order:
                sent = []
                for proxy in (spilling, reference):
                    r = await client.post(f"{proxy.url}/v1/messages", content=raw,
                                          headers={**HEADERS, "x-claude-code-session-id": sid})
                    assert r.status_code == 200
                    sent.append(upstream.capture.messages()[-1].body)
                assert sent[0] == sent[1], f"session {sid}: the spilled proxy sent something else"
                state = (await client.get(f"{spilling.url}/_pichay/state")).json()
                spilled_seen |= any(s.get("resident") is False for s in state["sessions"])
                assert len(state["sessions"]) == len({x for x, _ in order[:order.index((sid, raw)) + 1]})
        assert spilled_seen
        assert spilling.engine.sessions.spills > 0 and spilling.engine.sessions.restores > 0
        assert len(dict(spilling.engine.sessions)) <= 2       # the limit, plus the one being served
        ref = {s["id"]: s for s in reference.engine.state()["sessions"]}
        for sid in list(ref):
            mine = spilling.engine.session_state(spilling.engine.sessions[sid])   # brings it back
            assert [(p["id"], p["state"]) for p in mine["pages"]] == \
                [(p["id"], p["state"]) for p in ref[sid]["pages"]]
            assert mine["stats"] == ref[sid]["stats"]
    finally:
        await spilling.stop()
        await reference.stop()
    if not state_dir:
        assert spilling._spill_dir is not None and not Path(spilling._spill_dir).exists()   # temp store removed
