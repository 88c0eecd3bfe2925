"""The Anthropic message a stream carries, rebuilt from its events (content blocks, stop reason, usage, errors)."""
from __future__ import annotations

from typing import Any

import orjson

from pichay_tui.core.model.exchange import ResponseSummary

_TOOLISH = {"tool_use", "server_tool_use", "mcp_tool_use"}


class MessageAccumulator:
    """Rebuilds the final Anthropic message from streamed events (or wraps a non-streaming one)."""

    def __init__(self) -> None:
        self.head: dict[str, Any] = {}           # message_start fields other than content
        self.blocks: dict[int, dict[str, Any]] = {}
        self._json: dict[int, list[str]] = {}     # partial_json pieces per open tool block
        self._parts: dict[tuple[int, str], list[str]] = {}  # string deltas, joined lazily (avoids O(n^2) concat)
        self.stop_reason: str | None = None
        self.stop_sequence: str | None = None
        self.usage: dict[str, Any] = {}
        self.error: dict[str, Any] | None = None
        self.complete = False
        self.problems: list[str] = []

    @classmethod
    def from_json_message(cls, msg: dict[str, Any]) -> "MessageAccumulator":
        """Wrap a non-streaming response body (a message, or an `{"type": "error"}` body)."""
        acc = cls()
        if msg.get("type") == "error":
            acc.feed("error", msg)
            return acc
        acc.feed("message_start", {"type": "message_start", "message": msg})
        acc.complete = True
        return acc

    def feed(self, event: str | None, data: dict[str, Any]) -> None:
        """Apply one parsed event; unknown events are ignored."""
        kind = data.get("type") or event
        if kind == "message_start":
            msg = dict(data.get("message") or {})
            for i, block in enumerate(msg.pop("content", None) or []):
                self.blocks[i] = dict(block)
            self.usage.update(msg.pop("usage", None) or {})
            self.stop_reason = msg.pop("stop_reason", None)
            self.stop_sequence = msg.pop("stop_sequence", None)
            self.head = msg
        elif kind == "content_block_start":
            idx = data.get("index", len(self.blocks))
            block = dict(data.get("content_block") or {})
            self.blocks[idx] = block
            if block.get("type") in _TOOLISH:
                self._json[idx] = []
        elif kind == "content_block_delta":
            self._delta(data.get("index"), data.get("delta") or {})
        elif kind == "content_block_stop":
            self._close(data.get("index"))
        elif kind == "message_delta":
            delta = data.get("delta") or {}
            self.stop_reason = delta.get("stop_reason", self.stop_reason)
            self.stop_sequence = delta.get("stop_sequence", self.stop_sequence)
            self.head.update({k: v for k, v in delta.items() if k not in ("stop_reason", "stop_sequence")})
            self.usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
        elif kind == "message_stop":
            self.complete = True
        elif kind == "error":
            self.error = data.get("error") or {"type": "error", "message": str(data)}

    def _delta(self, idx: int | None, delta: dict[str, Any]) -> None:
        block = self.blocks.get(idx)  # type: ignore[arg-type]
        if block is None:
            self.problems.append(f"delta for unknown block {idx}")
            return
        kind = delta.get("type")
        if kind == "input_json_delta":
            self._json.setdefault(idx, []).append(delta.get("partial_json") or "")  # type: ignore[arg-type]
        elif kind == "citations_delta":
            block["citations"] = (block.get("citations") or []) + [delta.get("citation")]
        else:  # text_delta, thinking_delta, signature_delta and future string deltas
            for key, value in delta.items():
                if key != "type" and isinstance(value, str) and isinstance(block.get(key, ""), str):
                    self._parts.setdefault((idx, key), [block.get(key) or ""]).append(value)  # type: ignore[arg-type]
                elif key != "type":
                    block[key] = value

    def _join(self, idx: int | None = None) -> None:
        for (i, key), parts in list(self._parts.items()):
            if idx is None or i == idx:
                self.blocks[i][key] = "".join(parts)
                del self._parts[(i, key)]

    def _close(self, idx: int | None) -> None:
        self._join(idx)
        parts = self._json.pop(idx, None)  # type: ignore[arg-type]
        if parts is None or idx not in self.blocks:
            return
        raw = "".join(parts)
        if not raw.strip():
            self.blocks[idx].setdefault("input", {})
            return
        try:
            self.blocks[idx]["input"] = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.problems.append(f"block {idx}: tool input is not valid JSON: {raw[:80]!r}")
            self.blocks[idx]["input"] = {}

    @property
    def content(self) -> list[dict[str, Any]]:
        """The content blocks in index order (tool inputs of still-open blocks are parsed best-effort)."""
        self._join()
        for idx in list(self._json):
            self._close(idx)
        return [self.blocks[i] for i in sorted(self.blocks)]

    @property
    def message(self) -> dict[str, Any]:
        """The assembled message in the non-streaming response shape."""
        msg = {"type": "message", "role": "assistant", **self.head}
        msg.update(content=self.content, stop_reason=self.stop_reason, stop_sequence=self.stop_sequence,
                   usage=dict(self.usage))
        return msg

    def to_summary(self, status: int = 200) -> ResponseSummary:
        """The pager's view: integer usage counters, stop reason, content and a one-line error."""
        err = None
        if self.error is not None:
            err = f"{self.error.get('type', 'error')}: {self.error.get('message', '')}"
        usage = {k: v for k, v in self.usage.items() if isinstance(v, int) and not isinstance(v, bool)}
        return ResponseSummary(status=status, usage=usage, stop_reason=self.stop_reason,
                               content=self.content, error=err)
