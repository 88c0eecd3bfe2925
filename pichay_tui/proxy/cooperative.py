"""The cooperative relay: hides phantom tool calls and cleanup tags from the client, answers them, continues the turn.

Phantom-only turns are answered here and continued upstream; the continuation streams to the client as the same
message (one message_start, one message_stop). Mixed turns give the client its real calls and splice the phantom
exchange into the next request. Cleanup operations are queued on the engine; they apply from the next request.
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable

import httpx
import orjson

from ..core.cooperative.phantom import PHANTOM_NAMES, injected
from ..core.model.exchange import ResponseSummary
from ..core.wire.interceptor import StreamInterceptor, intercept_message
from .streaming import Relay
from .upstream import Upstream, error_body, sse_error
from .warm import before_phantom

MAX_CONTINUATIONS = 4


class CooperativeRelay(Relay):
    """A Relay that rewrites the stream through a StreamInterceptor instead of passing raw bytes."""

    def __init__(self, resp: httpx.Response, engine: Any, sid: str, outbound: dict[str, Any], upstream: Upstream,
                 path: str, query: str, headers: list[tuple[str, str]],
                 on_done: Callable[[ResponseSummary], None] | None = None, recorder: Any = None,
                 clock: Callable[[], float] | None = None, encode: Callable[[dict], bytes] | None = None) -> None:
        super().__init__(resp, None, on_done)
        self.encode = encode or orjson.dumps       # continuation bodies: spliced into the client's bytes
        self.engine, self.sid, self.outbound = engine, sid, outbound
        self.upstream, self.path, self.query, self.headers = upstream, path, query, headers
        self.recorder, self.clock = recorder, clock
        # a client that defines a tool of the same name keeps it: only tools we injected are ours to intercept
        ours = injected(outbound.get("tools"))
        client_tools = {t.get("name") for t in (outbound.get("tools") or []) if isinstance(t, dict)} \
            - {d["name"] for d in ours}
        self.phantom = frozenset(PHANTOM_NAMES - client_tools)
        # --no-cooperative: only memory_fault is offered (handles name it); cleanup tags are not ours to act on
        self.cleanup = bool(getattr(getattr(engine, "config", None), "cooperative", True))
        if not self.cleanup:
            self.phantom = frozenset(d["name"] for d in ours)
        self.parts: list[StreamInterceptor] = []
        self.continuations = 0

    async def prepare(self) -> int | None:
        """Non-streaming: the whole exchange (continuations included) completes before the status is sent."""
        if self.sse:
            return None
        self._json_out = [chunk async for chunk in self._json()]
        return 502 if self.failure else None

    async def chunks(self):
        if not self.sse:
            for chunk in getattr(self, "_json_out", []):
                yield chunk
            return
        icpt = StreamInterceptor(phantom_tools=self.phantom, strip_cleanup=self.cleanup, hold_message_end=True)
        resp, body = self.resp, self.outbound
        while True:
            self.parts.append(icpt)
            stream = resp.aiter_bytes()
            try:
                out = await self._until_turn_end(icpt, stream)
                while not isinstance(out, list):       # bytes to relay now, before the turn's end
                    yield out
                    out = await self._until_turn_end(icpt, stream)
            except httpx.TransportError as e:
                self.failure = f"upstream stream failed: {type(e).__name__}: {e or 'connection lost'}"
                yield sse_error(self.failure)
                return
            self._queue_cleanup(icpt)
            if icpt.phantom_calls:
                await before_phantom(self.engine, self.sid, icpt.phantom_calls)    # read the stored blocks ahead
            if icpt.only_phantom and self.continuations < MAX_CONTINUATIONS and icpt.upstream.complete:
                if out:
                    yield b"".join(out)
                await self._drain(icpt, stream)
                body = self._continue_body(body, icpt.message, icpt.phantom_calls)
                nxt = await self._post(body)
                if nxt is not None and nxt.status_code == 200 and \
                        nxt.headers.get("content-type", "").startswith("text/event-stream"):
                    self.continuations += 1
                    if resp is not self.resp:
                        await resp.aclose()
                    resp, icpt = nxt, StreamInterceptor.continue_from(icpt)
                    self._extra = resp
                    continue
                status = nxt.status_code if nxt is not None else "no response"
                if nxt is not None:
                    await nxt.aclose()
                # the client saw only part of a turn: fail it the way the API fails a broken stream, so it retries
                self.failure = f"continuation after the model's memory tool call failed (upstream: {status})"
                yield sse_error(self.failure, "overloaded_error" if status in (429, 529) else "api_error")
                return
            elif icpt.phantom_calls:
                real = [b["id"] for b in icpt.message.get("content", [])
                        if b.get("type") == "tool_use" and b.get("name") not in self.phantom]
                results = self._phantom(icpt.phantom_calls)
                uses = [{"type": "tool_use", "id": c["id"], "name": c["name"], "input": c.get("input") or {}}
                        for c in icpt.phantom_calls]
                self._splice(real, uses, results)
            out = out + icpt.release_end()     # what came with message_stop and the held end: one write
            if out:
                yield b"".join(out)
            self.complete = True
            try:           # the stream's end (or anything after message_stop, relayed as it is)
                async for chunk in stream:
                    out = icpt.feed(chunk)
                    if out:
                        yield b"".join(out)
                out = icpt.finish() + icpt.release_end()
                if out:
                    yield b"".join(out)
            except httpx.TransportError:
                pass           # the turn was complete: nothing the client needs is lost
            if resp is not self.resp:
                await resp.aclose()
            return

    @staticmethod
    async def _until_turn_end(icpt: StreamInterceptor, stream: Any) -> bytes | list[bytes]:
        """The next upstream chunk's bytes for the client (bytes), or, once message_stop is seen or the stream
        ended, what is left to send (a list): the turn is decided then, not when the upstream closes the stream."""
        async for chunk in stream:
            out = icpt.feed(chunk)
            if icpt.upstream.complete:
                return out
            if out:        # one write per upstream chunk, as a plain relay does (not one per event)
                return b"".join(out)
        return icpt.finish()

    @staticmethod
    async def _drain(icpt: StreamInterceptor, stream: Any) -> None:
        """Read a finished turn's stream to its end (the connection goes back to the pool)."""
        async for chunk in stream:
            icpt.feed(chunk)
        icpt.finish()

    async def _json(self):
        raw = await self.resp.aread()
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            yield raw
            return
        if self.resp.status_code != 200 or not isinstance(msg, dict) or msg.get("type") != "message":
            self._last_json = msg
            yield raw
            return
        body, content = self.outbound, []
        while True:
            client, calls, ops = intercept_message(msg, self.phantom, strip_cleanup=self.cleanup)
            content += client.get("content", [])
            if ops and self.sid:
                self._cleanup(ops)
            real = [b for b in client.get("content", []) if b.get("type") == "tool_use"]
            if calls:
                await before_phantom(self.engine, self.sid, calls)
            if calls and not real and self.continuations < MAX_CONTINUATIONS:
                body = self._continue_body(body, msg, calls)
                nxt = await self._post(body)
                if nxt is not None and nxt.status_code == 200:
                    self.continuations += 1
                    try:
                        msg = orjson.loads(await nxt.aread())
                    except (orjson.JSONDecodeError, httpx.HTTPError) as e:
                        msg = None
                        self.failure = f"continuation after the model's memory tool call failed: {e}"
                    finally:
                        await nxt.aclose()
                    if isinstance(msg, dict) and msg.get("type") == "message":
                        continue
                self.failure = self.failure or "continuation after the model's memory tool call failed"
                if nxt is not None:
                    await nxt.aclose()
                yield error_body(self.failure, "api_error")
                return
            elif calls:
                results = self._phantom(calls)
                self._splice([b["id"] for b in real], calls, results)
            final = {**client, "content": content}
            self._last_json = final
            self.complete = True
            # nothing of ours in it: the client gets the upstream's bytes unchanged
            yield raw if (self.continuations == 0 and not calls and not ops and client == msg) else orjson.dumps(final)
            return

    # ---- engine calls, each recorded so a replay applies the model's operations at the same point ----
    def _record(self, name: str, args: dict[str, Any]) -> None:
        if self.recorder is not None:
            self.recorder.command(self.clock() if self.clock else 0.0, name, {"session": self.sid, **args}, True)

    def _phantom(self, calls: list[dict]) -> list[dict]:
        self._record("model.phantom", {"calls": calls})
        return self.engine.answer_phantom_calls(self.sid, calls)

    def _splice(self, real: list[str], uses: list[dict], results: list[dict]) -> None:
        self._record("model.splice", {"real_ids": real, "uses": uses, "results": results})
        self.engine.stage_splice(self.sid, real, uses, results)

    def _cleanup(self, ops: list) -> None:
        self._record("model.cleanup", {"ops": [{"op": o.op, "targets": o.targets, "text": o.text,
                                                "turn_range": list(o.turn_range) if o.turn_range else None}
                                               for o in ops]})
        self.engine.apply_cleanup(self.sid, ops)

    def _continue_body(self, body: dict[str, Any], message: dict[str, Any], calls: list[dict]) -> dict[str, Any]:
        results = self._phantom(calls)
        assistant = {"role": "assistant", "content": message.get("content") or []}
        return {**body, "messages": list(body["messages"]) + [assistant, {"role": "user", "content": results}]}

    async def _post(self, body: dict[str, Any]) -> httpx.Response | None:
        try:
            content = await asyncio.to_thread(self.encode, body)   # a re-splice of the whole body: off the loop
            return await self.upstream.send("POST", self.path, self.query, self.headers, content)
        except httpx.HTTPError:
            return None

    def _queue_cleanup(self, icpt: StreamInterceptor) -> None:
        if icpt.cleanup_ops and self.sid:
            self._cleanup(icpt.cleanup_ops)

    def _summary(self, status: int) -> ResponseSummary:
        if not self.sse:
            msg = getattr(self, "_last_json", None) or {}
            return ResponseSummary(status=status, usage=dict(msg.get("usage") or {}), stop_reason=msg.get("stop_reason"),
                                   content=list(msg.get("content") or []))
        if not self.parts:
            return ResponseSummary(status=status)
        last = self.parts[-1]
        client = last.client_message
        return ResponseSummary(status=status, usage=dict(last.usage or {}), stop_reason=client.get("stop_reason")
                               or last.stop_reason, content=list(client.get("content") or []))

    async def _release(self) -> None:
        await self.resp.aclose()
        extra = getattr(self, "_extra", None)
        if extra is not None:
            await extra.aclose()
