"""Issue 9's first failure, end to end: Claude Code 2.1.197's "unchanged" notice through the proxy (and after kill -9).

Quoted from issue 9: "Claude Code 2.1.197 answers a re-read of an unchanged file with `Wasted call — file unchanged
since your last Read. Refer to that earlier tool_result instead.` Only one exact prefix is recognised … so the model
gets neither the content nor a working pointer: the "earlier tool_result" is our handle, which tells it to re-read.
The final answer comes back wrong ("NOT FOUND"), also after a kill -9 restart, although the content sits in the
backing store." The scripted model plays that model: its answer says `reread=MISSING` when the re-read carries
neither the content nor an intact earlier read, `reread=amber` when the content reached it.
"""
from __future__ import annotations

import signal

import httpx

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.core.lab.synthetic import file_content
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.agent import SimulatedAgent
from pichay_tui.sim.answers import answer_line
from pichay_tui.sim.sample_project import create_sample_project
from pichay_tui.sim.script import expected_answer
from pichay_tui.sim.upstream import create_upstream_app, run_upstream

from ..core.helpers import Conversation
from .test_kill9_restart import send, start_serve

CC_2_1_197 = "Wasted call — file unchanged since your last Read. Refer to that earlier tool_result instead."


async def test_2_1_197_notice_for_a_paged_out_read_gets_the_content_and_the_right_answer(tmp_path):
    work = create_sample_project(tmp_path / "work")
    app = create_upstream_app(script="coding", workdir=work)
    async with run_upstream(app) as up:
        async with ProxyServer(ProxyOptions(port=0, upstream=up, age_threshold=4)) as proxy:
            result = await SimulatedAgent(proxy.url, work, script="coding", unchanged_notice=CC_2_1_197).run()
            s = proxy.engine.state()["sessions"][0]
    assert answer_line(result.final_text) == expected_answer("coding"), result.final_text   # not reread=MISSING
    bodies = app.state.sim.message_bodies()
    client_saw = [r for m in result.requests[-2]["messages"] if isinstance(m["content"], list)
                  for r in m["content"] if r.get("type") == "tool_result"]
    assert CC_2_1_197 in [r["content"] for r in client_saw]           # the client really sent the notice …
    reread = bodies[-2]["messages"][-1]["content"][0]["content"]
    assert reread.startswith('     1\t"""Domain model') and 'PICHAY_MARKER = "amber"' in reread   # … upstream got the file
    assert s["stats"]["substitutions"] == 1 and s["stats"]["minor_faults"] >= 1


async def test_2_1_197_notice_after_kill9_restart_is_served_from_sqlite(tmp_path):
    state_dir = tmp_path / "state"
    app = create_upstream_app(script="coding", workdir=tmp_path)
    conv = Conversation("kill9-2197")
    async with run_upstream(app) as up, httpx.AsyncClient(timeout=30) as client:
        proc, url, _token = await start_serve(up, state_dir)
        try:
            for i in range(7):
                conv.read(f"/src/f{i % 5}.py")
                await send(client, url, conv)
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        proc, url, _token = await start_serve(up, state_dir)
        try:
            conv.call("Read", {"file_path": "/src/f2.py"}, CC_2_1_197)
            await send(client, url, conv)
            last = app.state.sim.message_bodies()[-1]["messages"][-1]["content"][0]
            assert last["content"] == file_content("/src/f2.py", 0, 120)
            st = (await client.get(f"{url}/_pichay/state")).json()["sessions"][0]["stats"]
            assert st["substitutions"] == 1
        finally:
            proc.send_signal(signal.SIGTERM)
            assert await proc.wait() == 0
