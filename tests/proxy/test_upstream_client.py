"""The upstream client keeps nothing of one agent's for another: an upstream's Set-Cookie goes to that client and is
never sent upstream with anyone's later request; repeated paths reuse one parsed URL, odd paths still forward."""
from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pichay_tui.sim.upstream import run_upstream
from proxy_helpers import CaptureRaw


def cookie_app() -> Starlette:
    async def anything(request: Request) -> JSONResponse:
        r = JSONResponse({"ok": True, "cookie": request.headers.get("cookie")})
        r.set_cookie("__cf_bm", "upstream-secret", path="/")
        return r

    return Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])


async def test_upstream_cookies_reach_the_client_and_are_never_replayed(make_proxy):
    cap = CaptureRaw(cookie_app())
    async with run_upstream(cap) as url:
        proxy = await make_proxy(url=url)
        async with httpx.AsyncClient() as a, httpx.AsyncClient() as b:
            first = await a.get(f"{proxy.url}/v1/models")
            assert "__cf_bm=upstream-secret" in first.headers["set-cookie"]      # the client that got it sees it
            other = await b.get(f"{proxy.url}/v1/models?x=1")                     # another agent, no cookie
            b.cookies.clear()                                                    # b's own jar kept it: fine
            again = await b.get(f"{proxy.url}/v1/models?x=1")
            b.cookies.clear()
            own = await b.get(f"{proxy.url}/v1/models", headers={"cookie": "mine=1"})
    assert other.json()["cookie"] is None and again.json()["cookie"] is None
    assert own.json()["cookie"] == "mine=1"                                      # a client's own cookie passes
    assert [c.query for c in cap.seen] == ["", "x=1", "x=1", ""]
    assert all("upstream-secret" not in c.headers.get("cookie", "") for c in cap.seen)


async def test_a_bug_after_the_upstream_answered_gives_a_json_500_and_the_proxy_keeps_serving(make_proxy, monkeypatch):
    """A bug between the upstream send (whose disconnect watcher is kept for the relay) and the relay."""
    import pichay_tui.proxy.sending as app_module     # where the relay's side parser is made

    proxy = await make_proxy(mode="observe")
    body = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"name": "Read", "input_schema": {"type": "object"}}]}
    real = app_module.SideParser

    def broken(*a, **k):
        raise RuntimeError("planted bug")

    async with httpx.AsyncClient(timeout=30) as c:
        monkeypatch.setattr(app_module, "SideParser", broken)
        bad = await c.post(f"{proxy.url}/v1/messages", json=body, headers={"x-api-key": "k"})
        monkeypatch.setattr(app_module, "SideParser", real)
        assert bad.status_code == 500 and bad.json()["error"]["type"] == "api_error"
        assert "planted bug" in bad.json()["error"]["message"]
        good = await c.post(f"{proxy.url}/v1/messages", json=body, headers={"x-api-key": "k"})
        assert good.status_code == 200 and good.json()["type"] == "message"
