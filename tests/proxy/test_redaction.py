"""Keys and secrets never reach a file we write: plant them in headers and query strings of real requests through the
installed `pichay-tui serve --record --state-dir`, then grep every file it wrote."""
from __future__ import annotations

import httpx
import orjson

from pichay_tui.core import recording as rec
from pichay_tui.core.lab.synthetic import Conversation
from serve_cmd import run_to_exit, start_serve

PLANTED = {
    "x-api-key": "PLANTED-x-api-key-1111",
    "authorization": "Bearer PLANTED-authorization-2222",
    "x-goog-api-key": "PLANTED-goog-3333",
    "cookie": "sid=PLANTED-cookie-4444",
    "x-claude-code-session-id": "PLANTED-cc-session-5555",
    "X-Client-Secret": "PLANTED-secret-6666",
    "x-auth-user": "PLANTED-auth-7777",
    "x-stainless-Token": "PLANTED-token-8888",
    "x-tenant-session": "PLANTED-session-9999",
    "proxy-authorization": "Basic PLANTED-proxyauth-aaaa",
}
QUERY = {"key": "PLANTED-query-key-bbbb", "api_key": "PLANTED-query-apikey-cccc"}


async def test_planted_secrets_reach_no_written_file(upstream, tmp_path):
    record, state = tmp_path / "rec.jsonl", tmp_path / "state"
    serve = await start_serve("--upstream", upstream.url, "--record", str(record), "--state-dir", str(state))
    try:
        conv = Conversation("redaction")
        async with httpx.AsyncClient(timeout=30) as c:
            for i in range(6):
                conv.read(f"/src/m{i % 3}.py", lines=60)
                r = await c.post(f"{serve.url}/v1/messages", params=QUERY, headers=PLANTED,
                                 content=orjson.dumps({**conv.body(), "stream": False}))
                assert r.status_code == 200, r.text
            r = await c.post(f"{serve.url}/v1/messages/count_tokens", params=QUERY, headers=PLANTED,
                             content=orjson.dumps(conv.body()))
            assert r.status_code == 200
            r = await c.post(f"{serve.url}/v1/messages", params=QUERY, headers=PLANTED, content=b"{not json")
            assert r.status_code == 400
        seen = upstream.capture.messages()[-1]
        assert seen.headers["x-goog-api-key"] == PLANTED["x-goog-api-key"]      # forwarded to the upstream, of course
        assert "key=PLANTED-query-key-bbbb" in seen.query
    finally:
        code, err = await serve.stop()
    assert code == 0, err
    # a second start on the same files (resume + append) must not write them either
    again = await start_serve("--upstream", upstream.url, "--record", str(record), "--state-dir", str(state))
    assert (await again.stop())[0] == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert record in written and any(p.name.startswith("pichay.sqlite3") for p in written)
    for path in written:
        data = path.read_bytes()
        for secret in [*PLANTED.values(), *QUERY.values()]:
            word = secret.split()[-1].split("=")[-1].encode()
            assert word not in data, f"{secret!r} leaked into {path.name}"
    for r in rec.iter_records(record):
        for name in r.get("headers") or {}:
            assert not any(w in name for w in ("key", "token", "secret", "auth", "cookie", "session")), name
    # the recording still replays: the session id comes back from its pseudonym
    code, out, err = await run_to_exit("analyze", str(record), "--json")
    assert code == 0, err
    [s] = orjson.loads(out)["sessions"]
    assert s["request_count"] == 6 and s["name"] == s["session"]


def test_a_crash_log_holds_no_control_token_or_query_key(tmp_path):
    """The crash log (a file we write) gets the command line and the traceback: the token and ?key= are masked."""
    import subprocess
    import sys

    token = "T0ken-" + "s" * 40
    breakage = ("import pichay_tui.proxy.server as m\n"
                "async def boom(self): raise RuntimeError('upstream http://h/v1?key=QSECRET-crash failed')\n"
                "m.ProxyServer.start = boom\n")
    argv = ["serve", "--port", "0", "--control-token", token, "--upstream", "http://h/?api_key=QSECRET-argv"]
    p = subprocess.run([sys.executable, "-c", f"{breakage}from pichay_tui.cli.main import main\nmain({argv!r})"],
                       capture_output=True, text=True, timeout=60,
                       env={**__import__("os").environ, "XDG_STATE_HOME": str(tmp_path / "state")})
    assert p.returncode == 70, p.stderr
    [log] = list((tmp_path / "state" / "pichay-tui").glob("crash-*.log"))
    text = log.read_text()
    assert "RuntimeError" in text and "--control-token [redacted]" in text
    for secret in (token, "QSECRET-crash", "QSECRET-argv"):
        assert secret not in text and secret not in p.stderr
