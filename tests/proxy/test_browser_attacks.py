"""A real browser (headless Chromium, Debian's `chromium`) on hostile local pages attacks the installed `pichay-tui
serve`: fetch (text/plain, no-cors, JSON, a guessed token), beacons, form POSTs (including the JSON-in-text/plain-form
trick), reads of the state and the event stream, and a DNS-rebinding page served under another name from the proxy's
own port. An undefended canary server gets the same attacks, proving the browser really sent them; the proxy's
engine state shows none took effect."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
from pathlib import Path
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.sim.sample_project import create_sample_project
from pichay_tui.sim.upstream import create_upstream_app, run_upstream
from serve_cmd import start_serve

PAGE = (Path(__file__).parent / "browser_attack.html").read_text()
BROWSER_TIMEOUT = 60.0


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: ./test.sh installs it (apt-get install chromium)")
    return found


class Canary:
    """An undefended server: answers everything 200 and remembers what the browser sent."""

    def __init__(self) -> None:
        self.seen: list[dict] = []

        async def any_request(request: Request):
            self.seen.append({"method": request.method, "path": request.url.path,
                              "type": request.headers.get("content-type", ""),
                              "origin": request.headers.get("origin"), "body": (await request.body()).decode()})
            return PlainTextResponse("ok")

        self.app = Starlette(routes=[Route("/{p:path}", any_request, methods=["GET", "POST", "OPTIONS"])])


class Attacker:
    """The hostile site: serves the page and collects its reports."""

    def __init__(self) -> None:
        self.reports: dict[str, dict] = {}
        self.arrived = asyncio.Event()

        async def page(request: Request):
            return HTMLResponse(PAGE)

        async def report(request: Request):
            data = json.loads(await request.body())
            self.reports[data["tag"]] = data
            self.arrived.set()
            return PlainTextResponse("ok")

        self.app = Starlette(routes=[Route("/attack.html", page), Route("/report", report, methods=["POST"])])


def upstream_serving_the_page(app):
    """The scripted upstream, plus GET /attack.html: after DNS rebinding the hostile page comes through the proxy
    (its catch-all forwards it), so the page's origin is the proxy's own port under the attacker's name."""
    async def asgi(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/attack.html":
            return await HTMLResponse(PAGE)(scope, receive, send)
        return await app(scope, receive, send)

    return asgi


async def open_in_browser(url: str, attacker: Attacker, tag: str, profile: Path) -> dict:
    """Load `url` in headless Chromium until the page reports (bounded), then end the browser's process group."""
    attacker.arrived.clear()
    proc = await asyncio.create_subprocess_exec(
        chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-extensions", "--disable-component-update",
        "--host-resolver-rules=MAP rebind.test 127.0.0.1", url,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, start_new_session=True)
    try:
        end = asyncio.get_running_loop().time() + BROWSER_TIMEOUT
        while tag not in attacker.reports:
            left = end - asyncio.get_running_loop().time()
            if left <= 0 or proc.returncode is not None:
                err = (await proc.stderr.read(4000)).decode() if proc.returncode is not None else ""
                raise AssertionError(f"no report from the page {tag} within {BROWSER_TIMEOUT}s {err}")
            try:
                await asyncio.wait_for(attacker.arrived.wait(), min(left, 1.0))
            except asyncio.TimeoutError:
                pass
            attacker.arrived.clear()
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGTERM)        # the group this test started (start_new_session)
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except asyncio.TimeoutError:
                os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
    return attacker.reports[tag]["results"]


def page_url(origin: str, targets: list[str], tag: str, report: str, sid: str, pid: str, canary: str = "") -> str:
    return f"{origin}/attack.html?" + urlencode({"targets": json.dumps(targets), "canary": canary, "tag": tag,
                                                 "report": report, "sid": sid, "pid": pid})


async def test_hostile_pages_in_a_real_browser_change_nothing(tmp_path):
    chromium()
    work = create_sample_project(tmp_path / "project")
    attacker, canary = Attacker(), Canary()
    async with run_upstream(upstream_serving_the_page(create_upstream_app(workdir=work))) as up, \
            run_upstream(attacker.app) as atk, run_upstream(canary.app) as can:
        serve = await start_serve("--upstream", up)
        try:
            port = serve.port
            atk_port = atk.rsplit(":", 1)[1]
            async with httpx.AsyncClient(timeout=30) as c:
                conv = Conversation("browser-target")
                conv.read("/src/app.py", lines=80)
                r = await c.post(f"{serve.url}/v1/messages", content=orjson.dumps({**conv.body(), "stream": False}),
                                 headers={"x-api-key": "dummy", "content-type": "application/json"})
                assert r.status_code == 200
                before = (await c.get(f"{serve.url}/_pichay/state")).json()
            s = before["sessions"][0]
            sid, pid = s["id"], next(p["id"] for p in s["pages"] if p["kind"] == "tool_result")
            report = f"http://127.0.0.1:{atk_port}/report"
            runs = {
                # another local origin (same host, other port) attacking both loopback names of the proxy
                "ip": page_url(f"http://127.0.0.1:{atk_port}", [f"http://127.0.0.1:{port}", f"http://localhost:{port}"],
                               "ip", report, sid, pid, canary=can),
                # another hostname (localhost vs 127.0.0.1): cross-site
                "localhost": page_url(f"http://localhost:{atk_port}", [f"http://127.0.0.1:{port}"], "localhost",
                                      report, sid, pid, canary=can),
                # DNS rebinding: the page's own origin is rebind.test:PORT, which now resolves to the proxy
                "rebind": page_url(f"http://rebind.test:{port}", [""], "rebind", report, sid, pid),
            }
            results = {}
            for tag, url in runs.items():
                results[tag] = await open_in_browser(url, attacker, tag, tmp_path / f"profile-{tag}")
            async with httpx.AsyncClient(timeout=30) as c:
                after = (await c.get(f"{serve.url}/_pichay/state")).json()
        finally:
            code, err = await serve.stop()
    assert code == 0 and "Traceback" not in err
    print(json.dumps(results, indent=1))
    # the browser really sent the no-preflight attacks: the undefended canary received them, commands intact
    got = [(x["type"].split(";")[0], x["body"]) for x in canary.seen if x["path"] == "/_pichay/commands"]
    for cmd in ("intercept.on", "page.pin", "session.collapse"):
        bodies = [b for t, b in got if f'"command":"{cmd}"' in b or f"command={cmd}" in b.replace("%2E", ".")]
        kinds = {t for t, b in got if f'"command":"{cmd}"' in b or f"command={cmd}" in b}
        assert {"text/plain", "application/x-www-form-urlencoded"} <= kinds, (cmd, kinds)
        assert any(orjson.loads(b.split("\r\n")[0]).get("command") == cmd
                   for b in bodies if b.startswith("{")), (cmd, bodies)   # the text/plain form body parses as JSON
    # ...and against the proxy nothing applied
    assert after["intercept"] == before["intercept"] and after["intercept"]["enabled"] is False
    [s2] = after["sessions"]                                   # no session planted through /v1 either
    assert s2["pending"] == [] and s2["pages"] == s["pages"] and s2["stats"] == s["stats"]
    # reads: blocked by CORS across origins; refused by the Host check after rebinding
    for tag in ("ip", "localhost"):
        assert results[tag]["target0/read-state"].startswith("error:"), results[tag]
        assert results[tag]["target0/events"] == "error"
    assert results["rebind"]["target0/read-state"].startswith("status:403:"), results["rebind"]
    assert results["rebind"]["target0/events"] == "error"
    assert results["rebind"]["target0/intercept.on/fetch-json"] == 403          # same-origin now, still refused
