"""--record: versioned JSONL, no secrets, per-exchange flush, outbound diffs, migration, deterministic replay."""
from __future__ import annotations

import httpx
import orjson
import pytest

from pichay_tui.core import recording as rec
from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine
from pichay_tui.sim.agent import SimulatedAgent
from proxy_helpers import DUMMY_KEY, control_headers, get_json

VOLATILE = {"last_access", "first_seen"}


def page_states(state: dict) -> dict:
    return {s["id"]: [{k: v for k, v in p.items() if k not in VOLATILE} for p in s["pages"]]
            for s in state["sessions"]}


class KeyedAgent(SimulatedAgent):
    def headers(self):
        return {**super().headers(), "x-api-key": DUMMY_KEY, "authorization": f"Bearer {DUMMY_KEY}",
                "cookie": f"session={DUMMY_KEY}"}


async def test_recording_has_no_secrets_and_replays_to_the_same_pages(make_proxy, upstream, tmp_path):
    path = tmp_path / "rec" / "session.jsonl"
    proxy = await make_proxy(record=str(path))
    result = await KeyedAgent(proxy.url, upstream.workdir, script="coding").run()
    async with httpx.AsyncClient() as c:
        state = await get_json(f"{proxy.url}/_pichay/state")
        pid = next(p["id"] for p in state["sessions"][0]["pages"] if p["state"] == "resident"
                   and p["kind"] == "tool_result")
        r = await c.post(f"{proxy.url}/_pichay/commands", json={"command": "page.evict", "page": pid},
                         headers=control_headers(proxy))
        assert r.status_code == 200
    # one more turn so the queued command applies
    body = dict(result.requests[-1])
    body["messages"] = body["messages"] + [{"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
                                           {"role": "user", "content": "thanks"}]
    async with httpx.AsyncClient() as c:
        r = await c.post(f"{proxy.url}/v1/messages", json={**body, "stream": False},
                         headers={"x-api-key": DUMMY_KEY, "x-claude-code-session-id": result.session_id})
        assert r.status_code == 200
    live = await get_json(f"{proxy.url}/_pichay/state")
    assert live["sessions"][0]["stats"]["evictions"] >= 1 and live["sessions"][0]["stats"]["faults"] >= 1
    assert path.read_bytes().count(b"\n") == len(path.read_bytes().splitlines())   # flushed, whole lines
    raw = path.read_bytes()
    assert DUMMY_KEY.encode() not in raw
    header = orjson.loads(raw.splitlines()[0])
    assert header["type"] == "header" and header["format"] == "pichay-recording" and header["format_version"] == 2
    assert header["config"]["age_threshold"] == 4

    steps = list(rec.read_recording(path))
    requests = [s for s in steps if isinstance(s, rec.RecordedRequest)]
    assert len(requests) == len(result.requests) + 1
    assert all(s.exchange.response is not None for s in requests)
    assert any(s.sent == "outbound" and "[Paged out:" in orjson.dumps(s.outbound).decode() for s in requests)
    assert any(isinstance(s, rec.RecordedCommand) and s.command == "page.evict" for s in steps)
    assert any(e.kind == "page_evicted" for s in steps for e in s.events)
    # the outbound stored as a diff rebuilds exactly what went upstream
    sent = [c.body for c in upstream.capture.messages()]
    for s, body_sent in zip(requests, sent):
        assert orjson.loads(body_sent) == s.outbound

    engine = Engine(PagerConfig(age_threshold=4))
    events = rec.replay(path, engine)
    assert page_states(engine.state()) == page_states(live)
    live_kinds = [e.kind for s in steps for e in s.events if e.kind != "command_queued"]
    assert [e.kind for e in events if e.kind != "command_queued"] == live_kinds
    assert [ex.body for ex in rec.load_exchanges(path)] == [s.exchange.body for s in requests]
    # format 2 stores each body against the session's previous one, and rebuilds exactly what the client sent
    stored = [orjson.loads(line) for line in raw.splitlines()[1:]]
    deltas = [r for r in stored if r["type"] == "request" and "body_delta" in r]
    assert deltas and all("body" not in r for r in deltas)
    assert [s.exchange.body["messages"] for s in requests][: len(result.requests)] == \
        [b["messages"] for b in result.requests]


def test_outbound_diff_roundtrip():
    body = {"model": "m", "system": "s", "messages": [{"role": "user", "content": "a"},
                                                     {"role": "assistant", "content": "b"}]}
    assert rec.outbound_diff(body, body) == {"kind": "same"}
    out = {"model": "m", "messages": [body["messages"][0], {"role": "assistant", "content": "B"},
                                      {"role": "user", "content": "note"}], "extra": 1}
    diff = rec.outbound_diff(body, out)
    assert set(diff["messages"]) == {"1", "2"} and diff["removed"] == ["system"] and diff["top"] == {"extra": 1}
    assert rec.apply_outbound(body, diff) == out


def test_reader_migrates_v0_and_tolerates_a_truncated_tail(tmp_path):
    path = tmp_path / "old.jsonl"
    lines = [{"type": "header", "format": "pichay-recording", "version": 0},
             {"type": "request", "id": 1, "ts": 1.0, "path": "/v1/messages", "headers": {}, "session": "s1",
              "body": {"messages": [{"role": "user", "content": "hi"}], "tools": [{"name": "Read"}]},
              "outbound": {"kind": "same"}},
             {"type": "response", "id": 1, "ts": 2.0, "session": "s1",
              "response": {"status": 200, "usage": {"input_tokens": 3}, "stop_reason": "end_turn"}}]
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines) + b'{"type": "requ')
    records = list(rec.iter_records(path))
    assert records[0]["format_version"] == 2 and records[0]["migrated_from"] == 0
    assert records[1]["sent"] == "original" and records[1]["engine"]
    [req, resp] = list(rec.read_recording(path))
    assert req.exchange.response.usage == {"input_tokens": 3} and resp.response.stop_reason == "end_turn"
    engine = Engine()
    rec.replay(path, engine)
    assert engine.state()["sessions"][0]["stats"]["requests"] == 1


def test_reader_refuses_foreign_and_future_files(tmp_path):
    foreign = tmp_path / "f.jsonl"
    foreign.write_bytes(b'{"type": "request"}\n')
    with pytest.raises(rec.RecordingError, match="not a pichay recording"):
        list(rec.iter_records(foreign))
    future = tmp_path / "n.jsonl"
    future.write_bytes(orjson.dumps({"type": "header", "format": "pichay-recording", "format_version": 99}) + b"\n")
    with pytest.raises(rec.RecordingError, match="newer"):
        list(rec.iter_records(future))


def test_safe_headers_drop_every_secret():
    h = {"X-Api-Key": "k", "Authorization": "Bearer k", "Cookie": "c", "anthropic-version": "v", "user-agent": "u",
         "x-goog-api-key": "g", "X-Auth-User": "a", "x-my-Token": "t", "x-client-secret": "s", "x-session-tag": "s",
         "Set-Cookie": "c", "proxy-authorization": "p", "x-claude-code-session-id": "cc"}
    assert rec.safe_headers(h) == {"anthropic-version": "v", "user-agent": "u"}
    from pichay_tui.core.model.redact import redact_text

    assert redact_text("GET https://u:pw@h/v1?a=1&key=S3&api_key=S4#x") == \
        "GET https://[redacted]@h/v1?a=1&key=[redacted]&api_key=[redacted]#x"


def test_format_1_files_with_whole_bodies_still_read_and_replay(tmp_path):
    """A format-1 recording (every body whole) reads through the format-2 reader and replays the same."""
    from pichay_tui.core.lab.synthetic import Conversation

    conv = Conversation("v1")
    live = Engine(PagerConfig())
    lines = [{"type": "header", "format": "pichay-recording", "format_version": 1, "ts": 0, "config": {}}]
    for i in range(7):
        conv.read(f"/f{i}.py")
        body = conv.body()
        r = live.handle_request(body, {}, now=float(i))
        lines.append(rec.request_record(i + 1, float(i), "POST", "/v1/messages", {}, body, r.outbound,
                                        session=r.session_id, request_no=r.request_no, engine=True,
                                        sent="outbound" if r.changed else "original"))
    lines[0]["format_version"] = 1
    path = tmp_path / "v1.jsonl"
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    assert all("body" in x for x in lines[1:])                         # whole bodies, as format 1 wrote them
    engine = Engine(PagerConfig())
    rec.replay(path, engine)
    assert page_states(engine.state()) == page_states(live.state())


def test_body_delta_roundtrip_with_rewrites_and_two_sessions():
    delta, bases = rec.BodyDelta(), {}
    bodies = [
        ("a", {"model": "m", "messages": [{"role": "user", "content": "1"}]}),
        ("b", {"model": "m", "messages": [{"role": "user", "content": "x"}]}),
        ("a", {"model": "m", "messages": [{"role": "user", "content": "1"}, {"role": "assistant", "content": "2"},
                                          {"role": "user", "content": "3"}]}),
        ("a", {"model": "m2", "messages": [{"role": "user", "content": "1"}, {"role": "assistant", "content": "2b"},
                                           {"role": "user", "content": "3"}], "tools": []}),   # a rewrite mid-history
        ("a", {"messages": [{"role": "user", "content": "summary"}]}),                    # compaction: shorter
    ]
    for xid, (session, body) in enumerate(bodies, 1):
        stored = delta.encode(xid, session, body)
        record = {"id": xid, "session": session, **stored}
        assert rec.resolve_body(orjson.loads(orjson.dumps(record)), bases) == body
    assert "body_delta" in delta.encode(9, "b", {"model": "m", "messages": [{"role": "user", "content": "x"}] * 2})
