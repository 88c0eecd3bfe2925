"""Sans-io interceptor that hides phantom tool calls and cleanup blocks from an Anthropic SSE stream."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import orjson

from pichay_tui.core.cooperative.cleanup_tags import CleanupError, CleanupOp, CleanupTextFilter, strip_cleanup_blocks
from pichay_tui.core.cooperative.phantom import PHANTOM_NAMES
from pichay_tui.core.wire.accumulator import MessageAccumulator
from pichay_tui.core.wire.sse import SSEDecoder, SSEEvent, encode_sse

@dataclass(slots=True)
class _Block:
    """Per upstream block: how it is handled and which client index it got (None until emitted)."""

    kind: str  # "pass" | "phantom" | "text"
    start: tuple[SSEEvent, dict[str, Any]] | None = None
    filt: CleanupTextFilter | None = None
    client_index: int | None = None
    held: str = ""  # visible whitespace waiting for the block's first real character


class StreamInterceptor:
    """Feed upstream SSE bytes, get the bytes the client should see; unchanged events pass byte-exactly.

    Phantom tool_use blocks are swallowed, cleanup blocks are cut out of text deltas, later blocks are renumbered
    so client indices stay contiguous.  A text block is opened for the client only at its first non-whitespace
    visible character, so a block holding nothing but a cleanup block disappears (the API rejects blank text blocks).
    """

    def __init__(self, phantom_tools: Iterable[str] = PHANTOM_NAMES, strip_cleanup: bool = True,
                 hold_message_end: bool = False, start_index: int = 0, drop_message_start: bool = False) -> None:
        self.phantom_tools = frozenset(phantom_tools)
        self.strip_cleanup = strip_cleanup
        self.hold_message_end = hold_message_end
        self.drop_message_start = drop_message_start
        self.next_index = start_index
        self.upstream = MessageAccumulator()
        self._client = MessageAccumulator()
        self._dec = SSEDecoder()
        self._blocks: dict[int, _Block] = {}
        self._held: list[tuple[SSEEvent, dict[str, Any]]] = []
        self.phantom_calls: list[dict[str, Any]] = []
        self._real_tools = 0

    @classmethod
    def continue_from(cls, prev: "StreamInterceptor", **overrides: Any) -> "StreamInterceptor":
        """An interceptor for a continuation stream spliced into `prev`'s client message.

        It drops the continuation's message_start, numbers its blocks from `prev.next_index` and forwards its
        message_delta/message_stop; `client_message` (shared with `prev`) then describes the whole spliced message.
        """
        opts: dict[str, Any] = dict(phantom_tools=prev.phantom_tools, strip_cleanup=prev.strip_cleanup,
                                    hold_message_end=prev.hold_message_end)
        opts.update(overrides)
        nxt = cls(**opts, start_index=prev.next_index, drop_message_start=True)
        nxt._client = prev._client
        return nxt

    def feed(self, chunk: bytes) -> list[bytes]:
        """Bytes for the client now (possibly none)."""
        return [b for ev in self._dec.feed(chunk) for b in self._event(ev)]

    def finish(self) -> list[bytes]:
        """End of the upstream stream: process a trailing event; a truncated stream is not repaired."""
        return [b for ev in self._dec.flush() for b in self._event(ev)]

    def release_end(self) -> list[bytes]:
        """In hold mode, the held message_delta/message_stop bytes, for when the proxy does not continue."""
        held, self._held = self._held, []
        return [b for ev, data in held for b in self._finalize(ev, data)]

    @property
    def only_phantom(self) -> bool:
        """The model called phantom tools and no real (client) tools."""
        return bool(self.phantom_calls) and not self._real_tools

    @property
    def message(self) -> dict[str, Any]:
        """The upstream message as the model produced it, phantom blocks and cleanup blocks included."""
        return self.upstream.message

    @property
    def client_message(self) -> dict[str, Any]:
        """The message the client has seen so far (for a continuation chain: the whole spliced message)."""
        return self._client.message

    @property
    def usage(self) -> dict[str, Any]:
        return self.upstream.usage

    @property
    def stop_reason(self) -> str | None:
        return self.upstream.stop_reason

    @property
    def cleanup_ops(self) -> list[CleanupOp]:
        """Ops from every completed cleanup block, in stream order."""
        return [op for i in sorted(self._blocks) if self._blocks[i].filt for op in self._blocks[i].filt.ops]

    # -- event routing -------------------------------------------------------------------------------------
    def _event(self, ev: SSEEvent) -> list[bytes]:
        try:
            data = orjson.loads(ev.data)
        except orjson.JSONDecodeError:
            return [ev.raw]
        if not isinstance(data, dict):
            return [ev.raw]
        kind = data.get("type") or ev.event
        self.upstream.feed(ev.event, data)
        if kind == "message_start" and self.drop_message_start:
            return []
        if kind in ("message_delta", "message_stop"):
            if self.hold_message_end:
                self._held.append((ev, data))
                return []
            return self._finalize(ev, data)
        if kind in ("content_block_start", "content_block_delta", "content_block_stop"):
            return self._block_event(ev, data, kind)
        return self._emit(ev, data)

    def _emit(self, ev: SSEEvent, data: dict[str, Any], changed: bool = False) -> list[bytes]:
        self._client.feed(ev.event, data)
        return [encode_sse(ev.event or data["type"], data) if changed else ev.raw]

    def _emit_at(self, b: _Block, ev: SSEEvent, data: dict[str, Any], changed: bool = False) -> list[bytes]:
        if data.get("index") != b.client_index:
            data, changed = {**data, "index": b.client_index}, True
        return self._emit(ev, data, changed)

    def _finalize(self, ev: SSEEvent, data: dict[str, Any]) -> list[bytes]:
        """Forward an end event; `tool_use` becomes `end_turn` when the client saw no tool_use block."""
        delta = data.get("delta") or {}
        if (data.get("type") == "message_delta" and delta.get("stop_reason") == "tool_use"
                and not any(b.get("type") == "tool_use" for b in self._client.blocks.values())):
            return self._emit(ev, {**data, "delta": {**delta, "stop_reason": "end_turn"}}, True)
        return self._emit(ev, data)

    def _block_event(self, ev: SSEEvent, data: dict[str, Any], kind: str) -> list[bytes]:
        idx = data.get("index")
        if kind == "content_block_start":
            cb = data.get("content_block") or {}
            if cb.get("type") == "tool_use" and cb.get("name") in self.phantom_tools:
                self._blocks[idx] = _Block("phantom")  # type: ignore[index]
                return []
            if cb.get("type") == "text" and self.strip_cleanup:
                b = self._blocks[idx] = _Block("text", (ev, data), CleanupTextFilter())  # type: ignore[index]
                return self._text_out(b, None, b.filt.feed(cb.get("text") or ""), None)  # type: ignore[union-attr]
            self._real_tools += cb.get("type") == "tool_use"
            b = self._blocks[idx] = _Block("pass", client_index=self.next_index)  # type: ignore[index]
            self.next_index += 1
            return self._emit_at(b, ev, data)
        b = self._blocks.get(idx)  # type: ignore[arg-type]
        if b is None:  # no start seen: not ours to judge
            return self._emit(ev, data)
        if b.kind == "phantom":
            if kind == "content_block_stop":
                block = self.upstream.blocks[idx]  # type: ignore[index]
                self.phantom_calls.append({k: block.get(k) for k in ("type", "id", "name", "input")})
            return []
        if b.kind == "pass":
            return self._emit_at(b, ev, data)
        if kind == "content_block_stop":
            out = self._text_out(b, None, b.filt.finish(), None)  # type: ignore[union-attr]
            return out + self._emit_at(b, ev, data) if b.client_index is not None else []
        delta = data.get("delta") or {}
        if delta.get("type") != "text_delta":  # e.g. citations_delta: the block has content, open it
            return self._text_out(b, None, "", None, force=True) + self._emit_at(b, ev, data)
        text = delta.get("text") or ""
        return self._text_out(b, (ev, data), b.filt.feed(text), text)  # type: ignore[union-attr]

    def _text_out(self, b: _Block, orig: tuple[SSEEvent, dict[str, Any]] | None, visible: str,
                  original: str | None, force: bool = False) -> list[bytes]:
        """Emit visible text for a text block, opening the block first if this is its first real content."""
        out: list[bytes] = []
        if b.client_index is None:
            b.held += visible
            if not b.held.strip() and not force:
                return []
            visible, b.held = b.held, ""
            ev, data = b.start  # type: ignore[misc]
            cb = data.get("content_block") or {}
            b.client_index, self.next_index = self.next_index, self.next_index + 1
            if cb.get("text"):
                out += self._emit_at(b, ev, {**data, "content_block": {**cb, "text": ""}}, True)
            else:
                out += self._emit_at(b, ev, data)
        if not visible:
            return out
        if orig is not None and visible == original:
            return out + self._emit_at(b, *orig)
        d = {"type": "content_block_delta", "index": b.client_index, "delta": {"type": "text_delta", "text": visible}}
        return out + self._emit(SSEEvent("content_block_delta", "", b""), d, True)


def intercept_message(msg: dict[str, Any], phantom_tools: Iterable[str] = PHANTOM_NAMES, strip_cleanup: bool = True,
                      errors: list[CleanupError] | None = None
                      ) -> tuple[dict[str, Any], list[dict[str, Any]], list[CleanupOp]]:
    """Non-streaming equivalent: (client message, phantom calls, cleanup ops); parse errors go to `errors`."""
    phantom = frozenset(phantom_tools)
    content: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    ops: list[CleanupOp] = []
    for block in msg.get("content") or []:
        if block.get("type") == "tool_use" and block.get("name") in phantom:
            calls.append({k: block.get(k) for k in ("type", "id", "name", "input")})
            continue
        if block.get("type") == "text" and strip_cleanup:
            clean, found, errs = strip_cleanup_blocks(block.get("text") or "")
            ops += found
            if errors is not None:
                errors += errs
            if not clean.strip() and not block.get("citations"):
                continue
            block = {**block, "text": clean}
        content.append(block)
    client = {**msg, "content": content}
    if client.get("stop_reason") == "tool_use" and not any(b.get("type") == "tool_use" for b in content):
        client["stop_reason"] = "end_turn"
    return client, calls, ops
