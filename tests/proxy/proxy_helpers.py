"""Shared helpers for the proxy tests: a raw-byte capturing ASGI wrapper and the dummy API key."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DUMMY_KEY = "sk-ant-dummy-NEVER-RECORD-0123456789"


@dataclass
class Captured:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    response: bytearray = field(default_factory=bytearray)
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)


async def read_body(receive) -> bytes:
    """The whole ASGI request body."""
    chunks = []
    while True:
        msg = await receive()
        chunks.append(msg.get("body", b""))
        if not msg.get("more_body"):
            return b"".join(chunks)


def replaying(body: bytes, receive):
    """An ASGI `receive` that hands `body` over once more, then defers to the real one (for disconnects)."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class CaptureRaw:
    """ASGI wrapper recording the exact request and response bytes the upstream saw."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[Captured] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cap = Captured(scope["method"], scope["path"], scope["query_string"].decode(),
                       {k.decode(): v.decode() for k, v in scope["headers"]}, await read_body(receive))
        self.seen.append(cap)
        replay = replaying(cap.body, receive)

        async def capture_send(msg):
            if msg["type"] == "http.response.start":
                cap.status = msg["status"]
                cap.response_headers = {k.decode(): v.decode() for k, v in msg.get("headers", [])}
            elif msg["type"] == "http.response.body":
                cap.response += msg.get("body", b"")
            await send(msg)

        await self.app(scope, replay, capture_send)

    def messages(self) -> list[Captured]:
        return [c for c in self.seen if c.path == "/v1/messages"]


@dataclass
class Upstream:
    url: str
    app: Any
    capture: CaptureRaw
    workdir: Path

    @property
    def sim(self):
        return self.app.state.sim


def control_headers(server: Any) -> dict[str, str]:
    """What POST /_pichay/commands needs: the server's control token (httpx's json= sets the JSON content type)."""
    return {"authorization": f"Bearer {server.control_token}"}


async def get_json(url: str) -> Any:
    """GET a control endpoint without blocking the loop the proxy runs in."""
    import httpx

    async with httpx.AsyncClient() as c:
        r = await c.get(url)
        r.raise_for_status()
        return r.json()


async def read_events(url: str, out: list, ready) -> None:
    """Follow /_pichay/events, appending (event name, data) pairs; sets `ready` on the stream's hello event."""
    import httpx
    import orjson

    async with httpx.AsyncClient(timeout=None) as c:
        async with c.stream("GET", url) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            name = None
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    out.append((name, orjson.loads(line[6:])))
                    if name == "hello":
                        ready.set()
