"""The control API under /_pichay/: state snapshot, named commands, and a server-sent event stream of core events."""
from __future__ import annotations

import asyncio
import collections
from typing import TYPE_CHECKING, Any, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..core.commands.registry import COMMANDS
from ..core.errors import CommandError
from ..core.events import Event
from .intercept import COMMAND_ARGS as INTERCEPT_ARGS
from .intercept import COMMANDS as INTERCEPT_COMMANDS

if TYPE_CHECKING:
    from .app import Proxy

QUEUE_SIZE = 1000
KEEPALIVE_SECONDS = 15.0


def _json(obj: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS), status, media_type="application/json")


class Subscriber:
    """A bounded queue of events for one /_pichay/events client; on overflow the oldest go and `lagged` counts them."""

    def __init__(self, size: int | None = None) -> None:
        self.queue: collections.deque[Event] = collections.deque()
        self.size = size or QUEUE_SIZE
        self.lagged = 0
        self.wakeup = asyncio.Event()

    def push(self, event: Event) -> None:
        if len(self.queue) >= self.size:
            self.queue.popleft()
            self.lagged += 1
        self.queue.append(event)
        self.wakeup.set()


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS) + b"\n\n"


def guarded(guard: Any, handler: Callable, command: bool = False) -> Callable:
    """The handler behind the guard's Host/Origin (and, for commands, token/content-type) checks."""
    async def checked(request: Request) -> Response:
        refused = guard.refuse(request, command=command)
        return refused if refused is not None else await handler(request)

    return checked


def control_routes(proxy: "Proxy") -> list[Route]:
    engine = proxy.engine
    guard = proxy.guard

    async def state(request: Request) -> Response:
        pages = request.query_params.get("pages", "1") not in ("0", "false", "no")
        return _json({**engine.state(pages=pages), "intercept": proxy.intercept.snapshot()})

    async def list_commands(request: Request) -> Response:
        return _json({"commands": [{"name": c.name, "help": c.help, "args": list(c.args),
                                    "destructive": c.destructive} for c in COMMANDS.values()]
                             + [{"name": n, "help": h, "args": list(INTERCEPT_ARGS.get(n, ())), "destructive": False}
                                for n, h in INTERCEPT_COMMANDS.items()]})

    async def command(request: Request) -> Response:
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError as e:
            return _json({"ok": False, "error": f"body is not valid JSON: {e}"}, 400)
        if not isinstance(body, dict) or not isinstance(body.get("command"), str):
            return _json({"ok": False, "error": 'expected {"command": NAME, ...arguments}'}, 400)
        name = body["command"]
        args = {k: v for k, v in body.items() if k != "command"}
        now = proxy.clock()
        if name in INTERCEPT_COMMANDS:         # proxy-level (the hold queue): not the engine's, not recorded
            try:
                return _json(proxy.intercept.command(name, **args))
            except CommandError as e:
                return _json({"ok": False, "command": name, "error": str(e)}, e.status)
        try:
            result = engine.command(name, **args)
        except CommandError as e:
            if proxy.recorder:
                proxy.recorder.command(now, name, args, False, error=str(e))
            return _json({"ok": False, "command": name, "error": str(e)}, e.status)
        except TypeError as e:  # unexpected keyword arguments
            return _json({"ok": False, "command": name, "error": f"bad arguments: {e}"}, 400)
        if proxy.recorder:
            proxy.recorder.command(now, name, args, True, result=result)
        if engine.on_change is not None and hasattr(engine.store, "flush"):   # --state-dir: say "accepted" only
            await asyncio.to_thread(engine.store.flush)                      # once it survives a kill -9
        return _json(result if isinstance(result, dict) and "ok" in result else {"ok": True, "result": result})

    async def events(request: Request) -> StreamingResponse:
        sub = Subscriber()
        unsubscribe = engine.subscribe(sub.push)

        async def stream():
            try:
                yield _sse("hello", {"sessions": [s["id"] for s in engine.state(pages=False)["sessions"]]})
                while not proxy.closing.is_set():
                    if not sub.queue:
                        sub.wakeup.clear()
                        try:
                            await asyncio.wait_for(sub.wakeup.wait(), KEEPALIVE_SECONDS)
                        except asyncio.TimeoutError:
                            yield b": keepalive\n\n"
                        continue
                    if sub.lagged:
                        dropped, sub.lagged = sub.lagged, 0
                        yield _sse("lagged", {"dropped": dropped})
                    event = sub.queue.popleft()
                    yield _sse(event.kind, event.to_dict())
            finally:
                unsubscribe()
                proxy.subscribers.discard(sub)

        proxy.subscribers.add(sub)
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})

    return [
        Route("/_pichay/state", guarded(guard, state), methods=["GET"]),
        Route("/_pichay/commands", guarded(guard, list_commands), methods=["GET"]),
        Route("/_pichay/commands", guarded(guard, command, command=True), methods=["POST"]),
        Route("/_pichay/events", guarded(guard, events), methods=["GET"]),
    ]
