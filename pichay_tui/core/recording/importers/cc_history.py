"""Rebuilds API message arrays from Claude Code's uuid-linked transcript records, memoised per request."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ._common import strip_markers

TRANSCRIPT_ONLY_KEYS = frozenset({"caller"})
Record = dict[str, Any]


def blocks(content: Any) -> list[dict[str, Any]]:
    """Message content as a fresh list of blocks, transcript-only keys removed."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [strip_markers(b, TRANSCRIPT_ONLY_KEYS) for b in content or [] if isinstance(b, dict)]


def is_sent(rec: Record) -> bool:
    """Whether a record is a message the client sends to the API (real user/assistant turns only)."""
    if rec.get("type") not in ("user", "assistant") or not isinstance(rec.get("message"), dict):
        return False
    if rec.get("isVisibleInTranscriptOnly"):
        return False
    return not (rec["type"] == "assistant" and rec["message"].get("model") == "<synthetic>")


def append(msgs: list[dict[str, Any]], ids: list[str | None], rec: Record) -> None:
    """Add one record: an assistant block joins its message (same message.id), a user turn merges into the last."""
    if not is_sent(rec):
        return
    msg, new = rec["message"], blocks(rec["message"].get("content"))
    if rec["type"] == "assistant":
        mid = msg.get("id")
        j = next((k for k in (len(msgs) - 1, len(msgs) - 2) if k >= 0 and msgs[k]["role"] == "assistant"), None)
        if j is not None and mid and ids[j] == mid:  # copy-on-write: earlier requests share this dict
            have = {b.get("id") for b in msgs[j]["content"] if b.get("type") == "tool_use"}
            new = [b for b in new if b.get("type") != "tool_use" or b.get("id") not in have]
            msgs[j] = {"role": "assistant", "content": msgs[j]["content"] + new}
        else:
            msgs.append({"role": "assistant", "content": new})
            ids.append(mid)
    elif msgs and msgs[-1]["role"] == "user":
        prev = msgs[-1]["content"]
        msgs[-1] = {"role": "user", "content": ([{"type": "text", "text": prev}] if isinstance(prev, str) else prev)
                    + new}
    else:
        content = msg.get("content")
        msgs.append({"role": "user", "content": content if isinstance(content, str) else new})
        ids.append(None)


def build_messages(chain: list[Record]) -> list[dict[str, Any]]:
    """Turn a root-to-leaf record chain into API messages."""
    msgs: list[dict[str, Any]] = []
    ids: list[str | None] = []
    for rec in chain:
        append(msgs, ids, rec)
    return msgs


class History:
    """All records of a transcript set by uuid; rebuilds the history before any record, reusing earlier work."""

    def __init__(self, records: list[tuple[Path, Record]], warnings: list[str]) -> None:
        self.by_uuid = {r["uuid"]: r for _, r in records if isinstance(r.get("uuid"), str)}
        self.results: dict[str, tuple[int, dict[str, Any]]] = {}
        for pos, (_, rec) in enumerate(records):
            content = (rec.get("message") or {}).get("content") if rec.get("type") == "user" else None
            for blk in content if isinstance(content, list) else []:
                if isinstance(blk, dict) and blk.get("type") == "tool_result" and blk.get("tool_use_id"):
                    self.results.setdefault(blk["tool_use_id"], (pos, blk))
        self.memo: dict[str, tuple[list[dict[str, Any]], list[str | None]]] = {}
        self.warnings, self.dangling = warnings, set[str]()

    def _walk(self, uuid: str | None, stop: dict[str, Any]) -> tuple[list[Record], str | None]:
        """Records from `uuid` up to (excluding) the first uuid in `stop` or the root; returns (records, stop uuid)."""
        out: list[Record] = []
        seen: set[str] = set()
        while uuid and uuid not in stop and uuid not in seen:
            rec = self.by_uuid.get(uuid)
            if rec is None:
                if uuid not in self.dangling:
                    self.dangling.add(uuid)
                    self.warnings.append(f"parent {uuid} not found: history before it is missing")
                return out, None
            seen.add(uuid)
            out.append(rec)
            uuid = rec.get("parentUuid")
        return out, uuid if uuid in stop else None

    def chain(self, uuid: str | None) -> list[Record]:
        """Records from the root down to `uuid` (a compaction boundary or missing parent ends the walk)."""
        return self._walk(uuid, {})[0][::-1]

    def messages(self, uuid: str | None, before: int) -> list[dict[str, Any]]:
        """API messages for the history ending at `uuid`; tool results only from records before position `before`."""
        path, hit = self._walk(uuid, self.memo)
        base_msgs, base_ids = self.memo[hit] if hit else ([], [])
        msgs, ids = list(base_msgs), list(base_ids)
        start = max(0, len(msgs) - 2)
        for rec in reversed(path):
            append(msgs, ids, rec)
        self._fill_results(msgs, start, before)
        if uuid:
            self.memo[uuid] = (msgs, ids)
        return msgs

    def _fill_results(self, msgs: list[dict[str, Any]], start: int, before: int) -> None:
        """Add tool results found on sibling branches (parallel tools); order them like their tool_use blocks."""
        for i in range(start, len(msgs) - 1):
            if msgs[i]["role"] != "assistant" or msgs[i + 1]["role"] != "user":
                continue
            uses = [b.get("id") for b in msgs[i]["content"] if b.get("type") == "tool_use"]
            content = blocks(msgs[i + 1]["content"]) if isinstance(msgs[i + 1]["content"], str) \
                else list(msgs[i + 1]["content"])
            have = [b.get("tool_use_id") for b in content if b.get("type") == "tool_result"]
            missing = [t for t in uses if t and t not in have and t in self.results and self.results[t][0] < before]
            if not missing and have == uses[:len(have)]:
                continue
            content += blocks([self.results[t][1] for t in missing])
            order = {t: n for n, t in enumerate(uses)}
            results = sorted((b for b in content if b.get("type") == "tool_result"),
                             key=lambda b: order.get(b.get("tool_use_id"), len(order)))
            msgs[i + 1] = {"role": "user", "content": results + [b for b in content if b.get("type") != "tool_result"]}

