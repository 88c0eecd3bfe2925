"""A do-nothing forwarder (Starlette + httpx, streaming both ways): the floor any Python proxy pays for one hop.

Run: python bench/bare_hop.py UPSTREAM_URL   (prints `listening on URL`, serves until killed)
"""
from __future__ import annotations

import asyncio
import socket
import sys

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import StreamingResponse

DROP = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}


def make_app(upstream: str):
    client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=None))

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        headers = [(k, v) for k, v in request.headers.items() if k not in DROP] + [("accept-encoding", "identity")]
        url = upstream + scope["raw_path"].decode("latin-1") + (f"?{request.url.query}" if request.url.query else "")
        resp = await client.send(client.build_request(request.method, url, headers=headers, content=body), stream=True)
        out = [(k, v) for k, v in resp.headers.items() if k not in DROP | {"date", "server"}]

        async def chunks():
            try:
                async for c in resp.aiter_raw():
                    yield c
            finally:
                await resp.aclose()

        await StreamingResponse(chunks(), resp.status_code, headers=dict(out))(scope, receive, send)

    return app


async def serve(upstream: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)   # TCP proto: NODELAY
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(make_app(upstream.rstrip("/")), log_level="warning", lifespan="off", access_log=False,
                            server_header=False, date_header=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    await task


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
