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
