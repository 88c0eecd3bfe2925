"""Importer for the reference proxy's `proxy.jsonl` logs: requests paired with responses, split into sessions."""
from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from pichay_tui.core.model.exchange import Exchange, ResponseSummary

from ._common import ImportResult, int_usage, parse_ts, read_jsonl, strip_markers

SOURCE = "legacy-proxy"
RESPONSE_TYPES = frozenset({"response_stream", "response"})
HEADER_PREFIX = "x-pichay-import-"
MISSING = [
    "tool definitions (not logged; only implied by total_request_bytes, kept in header x-pichay-import-total-request-bytes)",
    "request headers (anthropic-beta, metadata.user_id, session id)",
    "request fields other than model, max_tokens, stream, system, messages (thinking, metadata, context_management)",
    "response content (recovered from the next request of the same session; the last response of a session is empty)",
    "stop_reason (inferred: 'tool_use' when the recovered content calls a tool, otherwise unknown)",
]


def _match(pending: list[list[Any]], resp: dict[str, Any]) -> list[Any]:
    """Pick the pending request a response belongs to: start time (ts - duration_ms) nearest, else FIFO."""
    if len(pending) == 1:
        return pending[0]
    end, dur = parse_ts(resp.get("timestamp")), resp.get("duration_ms")
    if not end or not isinstance(dur, (int, float)):
        return pending[0]
    start = end - dur / 1000.0
    timed = [s for s in pending if parse_ts(s[0].get("timestamp"))]
    if not timed:
        return pending[0]
    return min(timed, key=lambda s: abs(parse_ts(s[0].get("timestamp")) - start))


def pair_records(records: list[dict[str, Any]], warnings: list[str], counts: Counter) -> list[list[Any]]:
    """Pair request records with response records in file order; returns [request, response|None, index]."""
    pairs: list[list[Any]] = []
    pending: list[list[Any]] = []
    for idx, rec in enumerate(records):
        kind = rec.get("type")
        if kind == "request":
            slot = [rec, None, idx]
            pairs.append(slot)
            pending.append(slot)
        elif kind in RESPONSE_TYPES:
            if not pending:
                counts["orphan_responses"] += 1
                warnings.append(f"record {idx}: response without a pending request, skipped")
                continue
            if len(pending) > 1:
                counts["interleaved_responses"] += 1
            slot = _match(pending, rec)
            pending.remove(slot)
            slot[1] = rec
        else:
            counts[f"skipped_{kind}"] += 1
    for slot in pending:
        counts["requests_without_response"] += 1
        warnings.append(f"record {slot[2]}: request without a response (run ended or log truncated)")
    return pairs


def session_key(messages: list[dict[str, Any]]) -> str:
    """Identify a conversation by its first user message (cache_control stripped, string content as a text block)."""
    first = next((m for m in messages if isinstance(m, dict) and m.get("role") == "user"), None)
    content = strip_markers((first or {}).get("content"))
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _exchange(req: dict[str, Any], resp: dict[str, Any] | None, where: str) -> Exchange:
    """Build one Exchange from a paired request and response record."""
    body: dict[str, Any] = {k: req[k] for k in ("model", "max_tokens", "stream") if k in req}
    if req.get("system_prompt_full") is not None:
        body["system"] = req["system_prompt_full"]
    body["messages"] = req["messages_full"]
    headers = {f"{HEADER_PREFIX}total-request-bytes": str(req["total_request_bytes"])} \
        if "total_request_bytes" in req else {}
    summary = None
    if resp is not None:
        status = int(resp.get("status_code") or 200)
        error = resp.get("error") or (f"HTTP {status}" if status >= 400 else None)
        summary = ResponseSummary(status=status, usage=int_usage(resp.get("usage")), error=str(error) if error else None)
    return Exchange(body=body, headers=headers, response=summary, ts=parse_ts(req.get("timestamp")),
                    source=f"{SOURCE}:{where}")


def _look_ahead(exchanges: list[Exchange], counts: Counter) -> None:
    """Fill each response's content from the assistant message the next request of the session carries."""
    for cur, nxt in zip(exchanges, exchanges[1:]):
        if cur.response is None:
            continue
        mine, theirs = cur.body["messages"], nxt.body["messages"]
        n = len(mine)
        if len(theirs) <= n or not isinstance(theirs[n], dict) or theirs[n].get("role") != "assistant":
            counts["lookahead_misses"] += 1
            continue
        if n and strip_markers(theirs[n - 1]) != strip_markers(mine[n - 1]):
            counts["lookahead_misses"] += 1
            continue
        content = strip_markers(theirs[n].get("content"))
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        cur.response.content = content or []
        if any(isinstance(b, dict) and b.get("type") == "tool_use" for b in cur.response.content):
            cur.response.stop_reason = "tool_use"
        counts["lookahead_hits"] += 1


def load_legacy_proxy(path: str | Path) -> ImportResult:
    """Import a reference-proxy log (a proxy.jsonl file or a run folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "proxy.jsonl"
    run = path.parent.name if path.name == "proxy.jsonl" else path.stem
    result = ImportResult(format=SOURCE, missing=list(MISSING))
    counts: Counter = Counter()
    records = read_jsonl(path, result.warnings)
    keys: dict[str, str] = {}
    for req, resp, idx in pair_records(records, result.warnings, counts):
        messages = req.get("messages_full")
        if not isinstance(messages, list):
            counts["requests_without_messages_full"] += 1
            result.warnings.append(f"record {idx}: request has no messages_full (pre-replay log), skipped")
            continue
        key = session_key(messages)
        name = keys.setdefault(key, f"{run}#{len(keys) + 1}")
        result.sessions.setdefault(name, []).append(_exchange(req, resp, f"{path.name}:{idx}"))
        counts["requests"] += 1
    for exchanges in result.sessions.values():
        _look_ahead(exchanges, counts)
    result.counts = dict(counts)
    return result
