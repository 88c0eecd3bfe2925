"""Importer for Claude Code transcripts: rebuilds the API request behind every assistant message."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from pichay_tui.core.model.exchange import Exchange, ResponseSummary

from ._common import ImportResult, int_usage, parse_ts, read_jsonl
from .cc_history import History, Record, build_messages, is_sent

SOURCE = "cc-transcript"
MISSING = [
    "system prompt",
    "tool definitions",
    "injected <system-reminder> content (skills list, CLAUDE.md, date, budget and file-change notices)",
    "request parameters (max_tokens, stream, thinking, metadata, context_management) and headers",
    "exact request bytes (rebuilt from the transcript; approximate)",
    "final usage when the CLI logged a block before message_delta (output_tokens may be a snapshot)",
]


def transcript_files(path: Path) -> list[Path]:
    """The transcript files behind a path: a folder (recursive), or a file plus its `<id>/subagents/` files."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*.jsonl") if p.is_file())
    sub = path.with_suffix("") / "subagents"
    return [path] + (sorted(sub.glob("*.jsonl")) if sub.is_dir() else [])


def _thread(rec: Record, history: History, file: Path) -> str:
    """Session name: sessionId, or sessionId/agent-X for a subagent (sidechain) thread."""
    sid = rec.get("sessionId") or file.stem
    if not rec.get("isSidechain"):
        return sid
    agent = rec.get("agentId") or (file.stem[6:] if file.stem.startswith("agent-") else None)
    if not agent:
        root = history.chain(rec.get("uuid"))
        agent = (root[0].get("uuid") or "x")[:8] if root else "x"
    return f"{sid}/agent-{agent}"


def _exchange(recs: list[Record], messages: list[dict[str, Any]], where: str) -> Exchange:
    """One Exchange: the rebuilt history as the request, the reassembled assistant message as the response."""
    first, reply = recs[0], build_messages(recs)
    usage = max((r["message"].get("usage") or {} for r in recs), key=lambda u: u.get("output_tokens") or 0)
    stop = next((r["message"]["stop_reason"] for r in reversed(recs) if r["message"].get("stop_reason")), None)
    response = ResponseSummary(usage=int_usage(usage), stop_reason=stop,
                               content=reply[0]["content"] if reply else [])
    headers = {"x-pichay-import-request-id": first["requestId"]} if first.get("requestId") else {}
    return Exchange(body={"model": first["message"].get("model"), "messages": messages}, headers=headers,
                    response=response, ts=parse_ts(first.get("timestamp")), source=f"{SOURCE}:{where}")


def load_cc_transcript(path: str | Path) -> ImportResult:
    """Import Claude Code transcript(s): one Exchange per assistant message, its history as the request."""
    result = ImportResult(format=SOURCE, missing=list(MISSING))
    counts: Counter = Counter()
    records: list[tuple[Path, Record]] = []
    for file in transcript_files(Path(path)):
        records += [(file, r) for r in read_jsonl(file, result.warnings)]
    history = History(records, result.warnings)
    groups: dict[tuple[str, str], list[tuple[int, Path, Record]]] = {}
    for pos, (file, rec) in enumerate(records):
        kind = rec.get("type")
        counts[f"records_{kind}"] += 1
        if kind == "assistant" and not is_sent(rec):
            counts["synthetic_assistant_skipped"] += 1
        elif kind == "assistant":
            key = (_thread(rec, history, file), rec["message"].get("id") or rec.get("uuid") or "")
            groups.setdefault(key, []).append((pos, file, rec))
    for (thread, _), items in groups.items():
        pos, file, first = items[0]
        recs = [r for _, _, r in items]
        messages = history.messages(first.get("parentUuid"), before=pos)
        result.sessions.setdefault(thread, []).append(_exchange(recs, messages, f"{file.name}:{recs[-1].get('uuid')}"))
        counts["requests"] += 1
    result.counts = dict(counts)
    return result
