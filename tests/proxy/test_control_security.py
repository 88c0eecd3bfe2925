"""The control API against the requests a hostile web page (or a DNS-rebound name) can make, through the installed
`pichay-tui serve`: every one is refused with a JSON error and changes nothing; the operator's token still works."""
from __future__ import annotations

import os
import stat

import httpx
import orjson
import pytest

from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.proxy.guard import ControlGuard
from pichay_tui.sim.tool_defs import TOOLS
from serve_cmd import run_to_exit, start_serve

PROMPT = [{"role": "user", "content": "[sim-script:coding] hello"}]
ATTACK = orjson.dumps({"command": "intercept.on", "timeout": 0})


def attacks(port: int, token: str) -> list[tuple[str, dict[str, str], bytes | None, int]]:
    """(what, headers, body or None for the default, expected status) for POST /_pichay/commands."""
    good = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    return [
        ("no token, JSON", {"content-type": "application/json"}, None, 401),
        ("no token, text/plain (a no-preflight fetch)", {"content-type": "text/plain"}, None, 401),
        ("no token, form post", {"content-type": "application/x-www-form-urlencoded"}, b"command=intercept.on", 401),
        ("wrong token", {**good, "authorization": "Bearer " + "x" * 43}, None, 401),
        ("token one char short", {**good, "authorization": f"Bearer {token[:-1]}"}, None, 401),
        ("Basic scheme", {**good, "authorization": f"Basic {token}"}, None, 401),
        ("token, text/plain", {**good, "content-type": "text/plain"}, None, 415),
        ("token, form", {**good, "content-type": "application/x-www-form-urlencoded"}, None, 415),
        ("token, multipart", {**good, "content-type": "multipart/form-data; boundary=x"}, None, 415),
        ("token, no content type", {"authorization": f"Bearer {token}"}, None, 415),
        ("token, rebound Host", {**good, "host": f"evil.example:{port}"}, None, 403),
        ("token, Host without port", {**good, "host": "127.0.0.1"}, None, 403),
        ("token, foreign Origin", {**good, "origin": "http://evil.example"}, None, 403),
        ("token, other local port Origin", {**good, "origin": f"http://127.0.0.1:{port + 1}"}, None, 403),
        ("token, null Origin", {**good, "origin": "null"}, None, 403),
        ("token, https Origin of our host", {**good, "origin": f"https://127.0.0.1:{port}"}, None, 403),
        ("token, Sec-Fetch-Site cross-site", {**good, "sec-fetch-site": "cross-site"}, None, 403),
        ("token, Sec-Fetch-Site same-site", {**good, "sec-fetch-site": "same-site"}, None, 403),
    ]


async def _session_with_pages(c: httpx.AsyncClient, url: str) -> tuple[str, str]:
    """One request carrying a tool result: a session with a resident page an attacker would like to pin."""
    conv = Conversation("attack-target")
    conv.read("/src/app.py", lines=80)
    r = await c.post(f"{url}/v1/messages", json={**conv.body(), "stream": False}, headers={"x-api-key": "dummy"})
    assert r.status_code == 200, r.text
    s = (await c.get(f"{url}/_pichay/state")).json()["sessions"][0]
    return s["id"], next(p["id"] for p in s["pages"] if p["kind"] == "tool_result")


async def test_hostile_requests_are_refused_and_change_nothing(upstream):
    serve = await start_serve("--upstream", upstream.url)
    url, port, token = serve.url, serve.port, serve.token
    try:
        assert len(token) >= 32
        async with httpx.AsyncClient(timeout=10) as c:
            sid, pid = await _session_with_pages(c, url)
            before = (await c.get(f"{url}/_pichay/state")).json()
            outcome = {}
            for what, headers, body, want in attacks(port, token):
                for payload in (body or ATTACK, orjson.dumps({"command": "page.pin", "session": sid, "page": pid})):
                    r = await c.post(f"{url}/_pichay/commands", content=payload, headers=headers)
                    outcome[what] = r.status_code
                    assert r.status_code == want, (what, r.status_code, r.text)
                    assert r.headers["content-type"] == "application/json" and r.json()["ok"] is False
            # reads: a rebound Host or a foreign Origin gets nothing, on every /_pichay/ route
            for path in ("/_pichay/state", "/_pichay/commands", "/_pichay/events"):
                for headers in ({"host": f"evil.example:{port}"}, {"origin": "http://evil.example"},
                                {"sec-fetch-site": "cross-site"}):
                    r = await c.get(f"{url}{path}", headers=headers)
                    assert r.status_code == 403 and r.json()["ok"] is False, (path, headers)
            after = (await c.get(f"{url}/_pichay/state")).json()
            assert after["intercept"]["enabled"] is False and after["intercept"]["held"] == []
            assert after["sessions"][0]["pending"] == [] == before["sessions"][0]["pending"]
            assert after["sessions"][0]["pages"] == before["sessions"][0]["pages"]
            # the operator: Bearer or X-Pichay-Token, from no Origin or our own, by any loopback name
            r = await c.post(f"{url}/_pichay/commands", json={"command": "page.pin", "session": sid, "page": pid},
                             headers={"authorization": f"Bearer {token}"})
            assert r.status_code == 200 and r.json()["ok"] is True, r.text
            r = await c.post(f"{url}/_pichay/commands", json={"command": "intercept.off"},
                             headers={"x-pichay-token": token, "origin": f"http://localhost:{port}",
                                      "host": f"localhost:{port}", "sec-fetch-site": "same-origin"})
            assert r.status_code == 200, r.text
            for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
                assert (await c.get(f"{url}/_pichay/state", headers={"host": host})).status_code == 200
            # a web page's /v1 request is relayed untouched but never reaches the pager (no fake sessions)
            n_sessions = len(after["sessions"])
            raw = orjson.dumps({"model": "m", "max_tokens": 50, "stream": False, "tools": TOOLS,
                                "messages": [{"role": "user", "content": "[sim-script:coding] from a web page"}]})
            for site in ({"origin": "http://evil.example"}, {"sec-fetch-site": "cross-site"},
                         {"origin": f"http://evil.example:{port}", "host": f"evil.example:{port}"}):
                r = await c.post(f"{url}/v1/messages", content=raw, headers={"content-type": "text/plain", **site})
                assert r.status_code == 200 and upstream.capture.messages()[-1].body == raw
            assert len((await c.get(f"{url}/_pichay/state")).json()["sessions"]) == n_sessions
            # the proxied API routes keep working whatever the Host (the client's own key is what authorises them)
            r = await c.post(f"{url}/v1/messages", json={"model": "m", "max_tokens": 50, "messages": PROMPT,
                                                          "tools": TOOLS},
                             headers={"x-api-key": "dummy", "host": f"my-proxy.lan:{port}"})
            assert r.status_code == 200
    finally:
        code, err = await serve.stop()
    assert code == 0 and "Traceback" not in err
    assert len(outcome) == len(attacks(port, token))


async def test_token_sources_and_token_file(upstream, tmp_path):
    a = await start_serve("--upstream", upstream.url)
    b = await start_serve("--upstream", upstream.url, "--state-dir", str(tmp_path / "state"))
    try:
        assert a.token != b.token                                       # random per start
        f = tmp_path / "state" / "control-token"
        assert f.read_text().strip() == b.token
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    finally:
        await a.stop()
        await b.stop()
    fixed = "A" * 20 + "-_b" * 5
    c = await start_serve("--upstream", upstream.url, "--control-token", fixed, "--state-dir", str(tmp_path / "state"))
    os.chmod(tmp_path / "state" / "control-token", 0o644)
    await c.stop()
    d = await start_serve("--upstream", upstream.url, "--state-dir", str(tmp_path / "state"),
                          env={"PICHAY_CONTROL_TOKEN": fixed[::-1]})
    try:
        assert c.token == fixed and d.token == fixed[::-1]
        assert stat.S_IMODE(os.stat(tmp_path / "state" / "control-token").st_mode) == 0o600   # mode restored
        async with httpx.AsyncClient() as cl:
            r = await cl.post(f"{d.url}/_pichay/commands", json={"command": "intercept.on"},
                              headers={"authorization": f"Bearer {fixed}"})   # the previous start's token
            assert r.status_code == 401
    finally:
        assert (await d.stop())[0] == 0


async def test_allow_host_adds_a_name(upstream):
    serve = await start_serve("--upstream", upstream.url, "--allow-host", "pichay.internal")
    try:
        async with httpx.AsyncClient() as c:
            ok = await c.get(f"{serve.url}/_pichay/state", headers={"host": f"pichay.internal:{serve.port}"})
            bad = await c.get(f"{serve.url}/_pichay/state", headers={"host": f"pichay.internal:{serve.port + 1}"})
        assert ok.status_code == 200 and bad.status_code == 403
    finally:
        await serve.stop()


@pytest.mark.parametrize("value", ["short", "x" * 31, "y" * 40 + " z"])
async def test_weak_control_token_is_refused(value):
    code, out, err = await run_to_exit("serve", "--port", "0", "--control-token", value)
    assert code == 2 and "control-token" in err and "32 URL-safe" in err and "Traceback" not in err


def test_guard_compares_in_constant_time(monkeypatch):
    calls = []
    import hmac

    real = hmac.compare_digest
    monkeypatch.setattr("pichay_tui.proxy.guard.hmac.compare_digest", lambda a, b: calls.append(1) or real(a, b))
    g = ControlGuard("t" * 40)
    assert g.token_ok({"authorization": "Bearer " + "t" * 40}) and not g.token_ok({"x-pichay-token": "t"})
    assert len(calls) == 2
