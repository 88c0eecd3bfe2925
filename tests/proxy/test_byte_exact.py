"""Page mode changes only the blocks it pages: everything else reaches the upstream byte-identical; odd requests
get the upstream's answer or an Anthropic-shaped JSON error, never a text/plain 500."""
from __future__ import annotations

import json
import re

import httpx
import orjson

from pichay_tui.core.wire.parse import loads
from pichay_tui.core.wire.splice_scan import array_elements, object_members
from pichay_tui.sim.agent import SimulatedAgent
from proxy_helpers import get_json

HEADERS = {"x-api-key": "dummy", "anthropic-version": "2023-06-01", "content-type": "application/json",
           "x-claude-code-session-id": "exact-1"}
HANDLE = re.compile(rb"page p[0-9a-f]{8}")
ODD = '"big": 123456789012345678901234567890, "f": 1.10, "dup": 1, "dup": 2, "u": "caf\\u00e9 \\ud83d\\ude00", '


def odd_bytes(body: dict) -> bytes:
    """Python-json spacing, ASCII escapes, and in every tool_use input a 30-digit integer, a float orjson would
    shorten, a duplicate key and escaped unicode."""
    raw = json.dumps(body, ensure_ascii=True)
    return raw.replace('"input": {', '"input": {' + ODD).encode()


def messages_spans(raw: bytes) -> list[bytes]:
    members, _ = object_members(raw, 0)
    [(vs, ve)] = [(s, e) for k, s, e in members if k == "messages"]
    return [raw[s:e] for s, e in array_elements(raw, vs)[0]]


async def test_page_mode_keeps_unpaged_bytes(make_proxy, upstream):
    bodies = (await SimulatedAgent(upstream.url, upstream.workdir, script="coding", session_id="exact-1").run()).requests
    upstream.capture.seen.clear()
    proxy = await make_proxy(mode="page", age_threshold=2)
    paged = 0
    async with httpx.AsyncClient(timeout=30) as client:
        for body in bodies:
            raw = odd_bytes(body)
            r = await client.post(f"{proxy.url}/v1/messages?beta=true", content=raw, headers=HEADERS)
            assert r.status_code == 200
            await r.aread()
            sent = upstream.capture.messages()[-1].body
            if sent == raw:
                continue
            paged += 1
            assert loads(sent).keys() == loads(raw).keys()
            mine, theirs = messages_spans(raw), messages_spans(sent)
            assert len(mine) == len(theirs)
            for a, b in zip(mine, theirs):
                if a == b:
                    continue
                assert HANDLE.search(b)                          # only messages holding a handle differ...
                old_blocks = loads(a)["content"]
                new_blocks = loads(b)["content"]
                for ob, nb in zip(old_blocks, new_blocks):       # ...and in them only the handle blocks
                    assert ob == nb or HANDLE.search(json.dumps(nb).encode())
            assert sent.count(b"123456789012345678901234567890") == raw.count(b"123456789012345678901234567890")
            assert sent.count(ODD.encode()) == raw.count(ODD.encode())
    assert paged >= 2


async def test_deeply_nested_body_is_forwarded_in_observe_mode_with_record(make_proxy, upstream, tmp_path):
    proxy = await make_proxy(mode="observe", record=str(tmp_path / "rec.jsonl"))
    raw = (b'{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"[sim-script:coding] hi"}],'
           b'"metadata":{"x":' + b"[" * 300 + b"]" * 300 + b"}}")
    async with httpx.AsyncClient(timeout=30) as client:
        r = await client.post(f"{proxy.url}/v1/messages", content=raw, headers=HEADERS)
    assert r.status_code == 200 and r.json()["type"] == "message"
    assert upstream.capture.messages()[-1].body == raw
    records = [orjson.loads(x) for x in (tmp_path / "rec.jsonl").read_bytes().splitlines()]
    assert any("not recorded" in (x.get("failure") or "") for x in records)


async def test_a_body_sent_in_pieces_arrives_whole_with_its_length(make_proxy, upstream):
    """Bodies over SEND_CHUNK are written to the upstream piece by piece (the loop stays free); the upstream still
    gets the client's exact bytes with a Content-Length, not a chunked transfer."""
    from pichay_tui.proxy.upstream import SEND_CHUNK
    proxy = await make_proxy(mode="observe")
    text = "[sim-script:coding] " + "y" * (2 * SEND_CHUNK + 12345)
    raw = odd_bytes({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": text}]})
    async with httpx.AsyncClient(timeout=60) as client:
        r = await client.post(f"{proxy.url}/v1/messages", content=raw, headers=HEADERS)
        other = await client.post(f"{proxy.url}/v1/other?x=1", content=raw + b" ", headers=HEADERS)
    assert r.status_code == 200 and r.json()["type"] == "message"
    for seen, sent in ((upstream.capture.messages()[-1], raw), (upstream.capture.seen[-1], raw + b" ")):
        assert seen.body == sent
        assert seen.headers.get("content-length") == str(len(sent)) and "transfer-encoding" not in seen.headers
    assert other.status_code == upstream.capture.seen[-1].status


async def test_deeply_nested_body_fails_open_in_page_mode(make_proxy, upstream):
    proxy = await make_proxy(mode="page")
    deep = b"[" * 300 + b"]" * 300
    raw = (b'{"model":"m","max_tokens":5,"tools":[{"name":"t","input_schema":{"type":"object"}}],'
           b'"messages":[{"role":"user","content":[{"type":"text","text":"[sim-script:coding] hi","x":'
           + deep + b"}]}]}")
    async with httpx.AsyncClient(timeout=30) as client:
        r = await client.post(f"{proxy.url}/v1/messages", content=raw, headers=HEADERS)
    assert upstream.capture.messages()[-1].body == raw        # forwarded untouched (the engine failed open)
    assert r.status_code == upstream.capture.messages()[-1].status   # and the client got the upstream's answer
    assert (await get_json(f"{proxy.url}/_pichay/state"))["failures"] == 1


async def test_number_orjson_refuses_is_forwarded(make_proxy, upstream):
    proxy = await make_proxy(mode="page")
    raw = (b'{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"[sim-script:coding] hi"}],'
           b'"metadata":{"x":1e400}}')
    async with httpx.AsyncClient(timeout=30) as client:
        r = await client.post(f"{proxy.url}/v1/messages", content=raw, headers=HEADERS)
    seen = upstream.capture.messages()[-1]
    assert seen.body == raw and r.status_code == seen.status and r.content == bytes(seen.response)


async def test_odd_paths_and_methods_get_json_or_the_upstream(make_proxy, upstream):
    proxy = await make_proxy(mode="page")
    async with httpx.AsyncClient(timeout=30) as client:
        r = await client.get(f"{proxy.url}/x%00y")
        assert r.status_code != 500
        assert upstream.capture.seen[-1].path == "/x\x00y"         # forwarded as the client encoded it
        r = await client.request("PROPFIND", f"{proxy.url}/v1/models")
        assert r.status_code < 500 and r.headers["content-type"].startswith("application/json"), r.text
        assert r.json()["type"] == "error"
        r = await client.post(f"{proxy.url}/v1/messages", content=b"{not json", headers=HEADERS)
        assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


async def test_splice_failure_fails_open_with_the_reason(make_proxy, upstream, monkeypatch):
    from pichay_tui.proxy import encoding as app_module

    bodies = (await SimulatedAgent(upstream.url, upstream.workdir, script="coding", session_id="exact-2").run()).requests
    proxy = await make_proxy(mode="page", age_threshold=2)

    def broken(*a, **kw):
        raise RuntimeError("injected splice failure")

    monkeypatch.setattr(app_module, "splice", broken)
    async with httpx.AsyncClient(timeout=30) as client:
        for body in bodies:
            raw = odd_bytes(body)
            r = await client.post(f"{proxy.url}/v1/messages", content=raw,
                                  headers={**HEADERS, "x-claude-code-session-id": "exact-2"})
            assert r.status_code == 200
            assert upstream.capture.messages()[-1].body == raw          # every request: the client's own bytes
    state = await get_json(f"{proxy.url}/_pichay/state")
    assert state["failures"] >= 1                                       # the engine did page; the splice failed


async def test_an_internal_error_is_anthropic_shaped_json(make_proxy, upstream, monkeypatch):
    from pichay_tui.proxy import sending as app_module

    proxy = await make_proxy(mode="page")
    monkeypatch.setattr(app_module, "upstream_path", lambda request: 1 / 0)
    async with httpx.AsyncClient(timeout=30) as client:
        r = await client.get(f"{proxy.url}/v1/models")
    assert r.status_code == 500 and r.headers["content-type"].startswith("application/json")
    assert r.json()["type"] == "error" and "ZeroDivisionError" in r.json()["error"]["message"]


async def test_a_big_body_is_built_as_pieces_of_the_same_bytes():
    from pichay_tui.proxy.upstream import SEND_CHUNK, Upstream
    up = Upstream("http://127.0.0.1:9")
    raw = bytes(range(256)) * ((2 * SEND_CHUNK + 7) // 256 + 1)
    req = up.build("POST", "/v1/messages", "", [("content-type", "application/json")], raw)
    pieces = [p async for p in req.stream]
    assert len(pieces) == 3 and max(map(len, pieces)) <= SEND_CHUNK and b"".join(pieces) == raw
    assert req.headers["content-length"] == str(len(raw)) and "transfer-encoding" not in req.headers
    small = up.build("POST", "/v1/messages", "", [], b"{}")
    assert [p async for p in small.stream] == [b"{}"]
    await up.aclose()
