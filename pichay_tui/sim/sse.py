"""Anthropic-style server-sent events: encoding a reply as a stream, and a small incremental parser for clients."""
from __future__ import annotations

import json
from typing import Any, Iterator


def _chunks(s: str, size: int) -> list[str]:
    return [s[i:i + size] for i in range(0, len(s), size)] or [""]


def message_shape(msg_id: str, model: str, content: list[dict[str, Any]], stop_reason: str | None,
                  usage: dict[str, int]) -> dict[str, Any]:
    """The non-streaming Messages API response object."""
    return {"id": msg_id, "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}


def reply_events(msg_id: str, model: str, content: list[dict[str, Any]], stop_reason: str,
                 usage: dict[str, int], output_tokens: int, chunk: int = 24) -> list[tuple[str, dict[str, Any]]]:
    """The (event name, data) sequence Anthropic streams for one message, pings interleaved."""
    start_usage = {**usage, "output_tokens": 1}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": message_shape(msg_id, model, [], None, start_usage)}),
        ("ping", {"type": "ping"}),
    ]
    for index, block in enumerate(content):
        if block["type"] == "text":
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "text", "text": ""}}))
            for piece in _chunks(block["text"], chunk):
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "text_delta", "text": piece}}))
        else:
            events.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": {
                "type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}}))
            raw = json.dumps(block["input"])
            for piece in [""] + _chunks(raw, max(8, min(chunk, len(raw) // 3 or 1))):
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "input_json_delta", "partial_json": piece}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        if index % 2 == 1:
            events.append(("ping", {"type": "ping"}))
    events.append(("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                     "usage": {**usage, "output_tokens": output_tokens}}))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def encode_event(name: str, data: dict[str, Any]) -> bytes:
    """One SSE frame."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class SSEParser:
    """Incremental SSE parser: feed bytes, iterate (event, data-dict) pairs."""

    def __init__(self) -> None:
        self._buf = ""

    def feed(self, chunk: bytes | str) -> Iterator[tuple[str, Any]]:
        """Parse complete frames out of `chunk` plus anything buffered."""
        self._buf += chunk.decode("utf-8") if isinstance(chunk, bytes) else chunk
        self._buf = self._buf.replace("\r\n", "\n")
        while "\n\n" in self._buf:
            frame, self._buf = self._buf.split("\n\n", 1)
            name, data = "message", []
            for line in frame.split("\n"):
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
            if data:
                text = "\n".join(data)
                try:
                    yield name, json.loads(text)
                except json.JSONDecodeError:
                    yield name, text


class MessageAssembler:
    """Rebuilds the final message (content blocks, stop reason, usage) from streamed events."""

    def __init__(self) -> None:
        self.message: dict[str, Any] = {}
        self.blocks: dict[int, dict[str, Any]] = {}
        self._json: dict[int, str] = {}
        self.done = False

    def add(self, name: str, data: dict[str, Any]) -> None:
        """Apply one event."""
        kind = data.get("type", name) if isinstance(data, dict) else name
        if kind == "message_start":
            self.message = dict(data["message"])
        elif kind == "content_block_start":
            self.blocks[data["index"]] = dict(data["content_block"])
            self._json[data["index"]] = ""
        elif kind == "content_block_delta":
            delta, idx = data["delta"], data["index"]
            if delta.get("type") == "text_delta":
                self.blocks[idx]["text"] = self.blocks[idx].get("text", "") + delta["text"]
            elif delta.get("type") == "input_json_delta":
                self._json[idx] += delta.get("partial_json", "")
        elif kind == "content_block_stop":
            idx = data["index"]
            if self.blocks[idx].get("type") == "tool_use":
                self.blocks[idx]["input"] = json.loads(self._json[idx] or "{}")
        elif kind == "message_delta":
            self.message.update({k: v for k, v in data.get("delta", {}).items()})
            self.message.setdefault("usage", {}).update(data.get("usage") or {})
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            raise RuntimeError(f"stream error: {data}")

    def result(self) -> dict[str, Any]:
        """The assembled message object."""
        return {**self.message, "content": [self.blocks[i] for i in sorted(self.blocks)]}
