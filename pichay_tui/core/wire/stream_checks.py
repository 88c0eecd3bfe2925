"""What a client needs of an Anthropic SSE stream, checked: the invariants the interceptor's output must keep."""
from __future__ import annotations

from typing import Any, Iterable

import orjson

from pichay_tui.core.cooperative.phantom import PHANTOM_NAMES
from pichay_tui.core.wire.sse import SSEDecoder, SSEEvent


_DELTAS = {"text": {"text_delta", "citations_delta"}, "thinking": {"thinking_delta", "signature_delta"},
           "tool_use": {"input_json_delta"}, "server_tool_use": {"input_json_delta"}}


def _as_events(events: bytes | Iterable[Any]) -> list[tuple[str | None, Any]]:
    """Normalise bytes, byte chunks, SSEEvents, (name, data) pairs or data dicts to (name, data) pairs."""
    items: list[tuple[str | None, Any]] = []
    raw = bytearray()
    for e in [events] if isinstance(events, (bytes, bytearray)) else events:
        if isinstance(e, (bytes, bytearray)):
            raw += e
        elif isinstance(e, SSEEvent):
            items.append((e.event, e.data))
        else:
            items.append(e if isinstance(e, tuple) else (None, e))
    dec = SSEDecoder()
    items += [(ev.event, ev.data) for ev in dec.feed(bytes(raw)) + dec.flush()]
    return [(n, orjson.loads(d) if isinstance(d, str) else d) for n, d in items]


def validate_client_stream(events: bytes | Iterable[Any], phantom_tools: Iterable[str] = PHANTOM_NAMES) -> list[str]:
    """Problems a client would trip over in this stream (empty list: valid); an `error` event excuses an early end."""
    p: list[str] = []
    starts = stops = 0
    open_idx: int | None = None
    want = 0
    kinds: dict[int, str] = {}
    bodies: dict[int, list[str]] = {}
    stop_reason, errored = None, False
    for n, (name, d) in enumerate(_as_events(events)):
        t = d.get("type")
        if name and name != t:
            p.append(f"#{n}: event name {name!r} but data type {t!r}")
        if t in ("ping", "error"):
            errored |= t == "error"
            continue
        if stops or (not starts and t != "message_start"):
            p.append(f"#{n}: {t} outside message_start..message_stop")
        i = d.get("index")
        if t == "message_start":
            starts += 1
        elif t == "content_block_start":
            cb = d.get("content_block") or {}
            if open_idx is not None or i != want:
                p.append(f"#{n}: block {i} started (expected {want}, open {open_idx})")
            open_idx, want, kinds[i], bodies[i] = i, want + 1, cb.get("type"), [cb.get("text") or ""]
            if cb.get("type") == "tool_use" and cb.get("name") in phantom_tools:
                p.append(f"#{n}: phantom tool {cb.get('name')} visible to the client")
        elif t == "content_block_delta":
            delta = d.get("delta") or {}
            if i != open_idx:
                p.append(f"#{n}: delta for block {i} while block {open_idx} is open")
            elif delta.get("type") not in _DELTAS.get(kinds[i], {delta.get("type")}):
                p.append(f"#{n}: {delta.get('type')} in a {kinds[i]} block")
            else:
                bodies[i].append(delta.get("text") or delta.get("partial_json") or ("\0" * (delta.get("type") == "citations_delta")))
        elif t == "content_block_stop":
            if i != open_idx:
                p.append(f"#{n}: stop for block {i} while block {open_idx} is open")
                continue
            open_idx, body = None, "".join(bodies[i])
            if kinds[i] == "text" and (not body.strip() or "<memory_cleanup>" in body.lower()):
                p.append(f"#{n}: text block {i} is blank or holds a cleanup block")
            if kinds[i] == "tool_use":
                try:
                    orjson.loads(body or "{}")
                except orjson.JSONDecodeError:
                    p.append(f"#{n}: tool_use block {i} input is not valid JSON")
        elif t == "message_delta":
            if open_idx is not None:
                p.append(f"#{n}: message_delta while block {open_idx} is open")
            stop_reason = (d.get("delta") or {}).get("stop_reason")
        elif t == "message_stop":
            stops += 1
    if not errored:
        p += [f"{k}: expected exactly one, got {v}" for k, v in (("message_start", starts), ("message_stop", stops))
              if v != 1]
        if open_idx is not None:
            p.append(f"block {open_idx} never stopped")
        if stop_reason is None:
            p.append("no stop_reason")
        if stop_reason == "tool_use" and "tool_use" not in kinds.values():
            p.append("stop_reason tool_use without a tool_use block")
    return p
