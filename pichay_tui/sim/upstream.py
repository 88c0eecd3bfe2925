"""The scripted upstream: a fake Anthropic Messages API (Starlette) with a simulated prompt cache and fault knobs."""
from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path
from typing import Any, AsyncIterator

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .model import decide, message_id
from .state import Faults, SimState, SimulatedReset
from .sse import encode_event, message_shape, reply_events
from .usage import estimate_output_tokens, estimate_tokens

SIM_MODEL = "claude-sim-1"


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"type": "error", "error": {"type": kind, "message": message}}, status_code=status)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        return {"_raw": raw.decode("utf-8", "replace")}


def create_upstream_app(script: str = "coding", workdir: str | Path | None = None, latency: float = 0.0,
                        chunk_delay: float = 0.0, record_path: str | Path | None = None,
                        faults: Faults | None = None) -> Starlette:
    """The fake API; its state is `app.state.sim` (a SimState)."""
    state = SimState(script=script, workdir=str(workdir) if workdir else None, latency=latency,
                     chunk_delay=chunk_delay, record_path=Path(record_path) if record_path else None,
                     faults=faults or Faults())

    async def messages(request: Request) -> Response:
        body = await _json_body(request)
        state.record(request, body)
        f = state.faults
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "invalid_request_error", "messages: field required")
        if f.fail_status and f.fail_count > 0:
            f.fail_count -= 1
            status = f.fail_status
            kind = {529: "overloaded_error", 429: "rate_limit_error"}.get(status, "api_error")
            return _error(status, kind, f"simulated {status}")
        delay, f.delay = state.latency + f.delay, 0.0
        reset_after = None
        if f.reset_after_events is not None and f.reset_count > 0:
            f.reset_count -= 1
            reset_after = f.reset_after_events
        reply = decide(body, state.script, state.workdir)
        usage = state.cache.usage(body)
        out_tokens = estimate_output_tokens(reply.content)
        model = str(body.get("model") or SIM_MODEL)
        mid = message_id(body, reply)
        if delay:
            await asyncio.sleep(delay)
        if not body.get("stream"):
            if reset_after is not None:
                raise SimulatedReset("simulated reset (non-streaming)")
            return JSONResponse(message_shape(mid, model, reply.content, reply.stop_reason,
                                              {**usage, "output_tokens": out_tokens}))
        events = reply_events(mid, model, reply.content, reply.stop_reason, usage, out_tokens)

        async def stream() -> AsyncIterator[bytes]:
            for i, (name, data) in enumerate(events):
                if reset_after is not None and i >= reset_after:
                    raise SimulatedReset(f"simulated connection reset after {i} events")
                if i and state.chunk_delay:
                    await asyncio.sleep(state.chunk_delay)
                yield encode_event(name, data)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "request-id": "req_" + mid[8:]})

    async def count_tokens(request: Request) -> Response:
        body = await _json_body(request)
        state.record(request, body)
        return JSONResponse({"input_tokens": estimate_tokens(body if isinstance(body, dict) else {})})

    async def models(request: Request) -> Response:
        item = {"type": "model", "id": SIM_MODEL, "display_name": "Claude (simulated)",
                "created_at": "2025-01-01T00:00:00Z"}
        return JSONResponse({"data": [item], "has_more": False, "first_id": SIM_MODEL, "last_id": SIM_MODEL})

    async def root(request: Request) -> Response:
        return Response(status_code=200) if request.method == "HEAD" else JSONResponse({"status": "ok", "sim": True})

    async def control(request: Request) -> Response:
        if request.method == "POST":
            state.faults.update(await _json_body(request))
        return JSONResponse(state.faults.__dict__)

    async def recorded(request: Request) -> Response:
        return JSONResponse(state.requests)

    async def reset(request: Request) -> Response:
        state.requests.clear()
        state.cache.reset()
        state.faults.update({"clear": True})
        return JSONResponse({"ok": True})

    app = Starlette(routes=[
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/", root, methods=["GET", "HEAD"]),
        Route("/_sim/control", control, methods=["GET", "POST"]),
        Route("/_sim/requests", recorded, methods=["GET"]),
        Route("/_sim/reset", reset, methods=["POST"]),
    ])
    app.state.sim = state
    return app


class _QuietServer(uvicorn.Server):
    """uvicorn server that leaves the process's signal handlers alone (it runs inside someone else's loop)."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


@contextlib.asynccontextmanager
async def run_upstream(app: Any, host: str = "127.0.0.1", port: int = 0,
                       log_level: str = "critical") -> AsyncIterator[str]:
    """Serve `app` with uvicorn on host:port (0 = free port) in the current loop; yields the base URL."""
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP,
    # and without it every response stalls ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn.Config(app, log_level=log_level, lifespan="off", access_log=False,
                            timeout_graceful_shutdown=1)
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("upstream server exited before starting")
            await asyncio.sleep(0.01)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
        sock.close()
