"""With --no-cooperative, handles still name memory_fault, so the proxy still offers and answers it (issue 9).

A minimal upstream plays a model that, offered memory_fault, asks for the first page id it finds in a handle, then
answers with what it got back. The client never sees the memory_fault call; its answer carries the paged-out content.
"""
from __future__ import annotations

import re

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.core.lab.synthetic import Conversation, file_content
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.upstream import run_upstream

HANDLE_ID = re.compile(r'memory_fault with \\?"(p[0-9a-f]{8})')      # also inside JSON text


def _message(content: list[dict], stop: str) -> dict:
    return {"id": "msg_t", "type": "message", "role": "assistant", "model": "m", "content": content,
            "stop_reason": stop, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 5}}


async def model(request: Request) -> JSONResponse:
    body = orjson.loads(await request.body())
    seen.append(body)
    last = body["messages"][-1]["content"]
    if isinstance(last, list) and any(b.get("tool_use_id") == "toolu_fault" for b in last):
        got = next(b for b in last if b.get("tool_use_id") == "toolu_fault")["content"]
        tag = f"\n<memory_cleanup>\nrelease: {HANDLE_ID.findall(orjson.dumps(body).decode())[-1]}\n</memory_cleanup>"
        return JSONResponse(_message([{"type": "text", "text": "ANSWER " + got[:60] + tag}], "end_turn"))
    offered = [t["name"] for t in body.get("tools") or []]
    ids = HANDLE_ID.findall(orjson.dumps(body["messages"]).decode())
    if "memory_fault" in offered and ids:
        return JSONResponse(_message([{"type": "tool_use", "id": "toolu_fault", "name": "memory_fault",
                                       "input": {"paths": [ids[0]]}}], "tool_use"))
    return JSONResponse(_message([{"type": "text", "text": "ok"}], "end_turn"))


seen: list[dict] = []


async def test_memory_fault_works_with_cooperative_mode_off():
    seen.clear()
    app = Starlette(routes=[Route("/v1/messages", model, methods=["POST"])])
    conv = Conversation("nocoop")
    async with run_upstream(app) as up:
        async with ProxyServer(ProxyOptions(port=0, upstream=up, age_threshold=2, cooperative=False)) as proxy, \
                httpx.AsyncClient(timeout=30) as client:
            replies = []
            for i in range(4):
                conv.read(f"/src/f{i}.py")
                body = conv.body()
                body["stream"] = False
                r = await client.post(f"{proxy.url}/v1/messages", content=orjson.dumps(body),
                                      headers={"x-api-key": "dummy", "anthropic-version": "2023-06-01",
                                               "content-type": "application/json"})
                assert r.status_code == 200, r.text
                replies.append(r.json())
            s = proxy.engine.state()["sessions"][0]
    assert "memory_release" not in orjson.dumps(seen).decode()          # not cooperative: no release tool
    first_offer = next(i for i, b in enumerate(seen) if "memory_fault" in [t["name"] for t in b["tools"]])
    assert HANDLE_ID.search(orjson.dumps(seen[first_offer]["messages"]).decode())   # offered with the first handle
    assert all("memory_fault" not in [t["name"] for t in b["tools"]] for b in seen[:first_offer])
    assert "memory_fault" not in orjson.dumps(replies).decode()          # the client never sees the call
    contents = {"ANSWER " + file_content(f"/src/f{i}.py", 0, 120)[:60] for i in range(4)}
    answers = [r["content"][0]["text"].split("\n<memory_cleanup>")[0] for r in replies
               if r["content"][0]["text"] != "ok"]
    assert answers and set(answers) <= contents                        # the paged-out content came back
    assert s["stats"]["minor_faults"] == len(answers)
    # not cooperative: the model's cleanup tags are neither acted on nor cut out
    assert s["stats"]["releases"] == 0 and all(c["command"] == "page.fault_in" for c in s["pending"])
    assert all("<memory_cleanup>" in r["content"][0]["text"] for r in replies if r["content"][0]["text"] != "ok")
