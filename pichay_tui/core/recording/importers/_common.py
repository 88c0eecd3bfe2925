"""Shared helpers for importers: tolerant JSONL reading, timestamps, marker stripping, the result type."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import orjson

from pichay_tui.core.model.exchange import Exchange
from ...errors import UnsupportedFormat


@dataclass(slots=True)
class ImportResult:
    """Imported sessions (id -> exchanges in request order) plus what the source format could not provide."""

    sessions: dict[str, list[Exchange]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    format: str = "unknown"
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def exchanges(self) -> list[Exchange]:
        """All exchanges of all sessions, sessions in insertion order."""
        return [ex for exs in self.sessions.values() for ex in exs]


def iter_lines(path: Path, limit: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Yield (line number, stripped bytes) of the non-blank lines of a file."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            line = raw.strip()
            if line:
                yield n, line
            if limit is not None and n >= limit:
                return


def read_jsonl(path: Path, warnings: list[str]) -> list[dict[str, Any]]:
    """Parse a JSONL file; a bad last line (truncated write) or a bad middle line becomes a warning."""
    lines = list(iter_lines(path))
    records: list[dict[str, Any]] = []
    for i, (n, line) in enumerate(lines):
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            what = "truncated last line" if i == len(lines) - 1 else "corrupt line"
            warnings.append(f"{path.name}:{n}: {what} skipped ({exc})")
            continue
        if isinstance(obj, dict):
            records.append(obj)
        else:
            warnings.append(f"{path.name}:{n}: not a JSON object, skipped")
    if lines and not records:
        raise UnsupportedFormat(f"{path}: no JSON object could be parsed")
    return records


def parse_ts(value: Any) -> float:
    """ISO-8601 string (or epoch number) to epoch seconds; 0.0 when absent or unreadable."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return 0.0
    return 0.0


def strip_markers(obj: Any, keys: frozenset[str] = frozenset({"cache_control"})) -> Any:
    """Deep copy of a JSON value without the given keys (cache_control by default)."""
    if isinstance(obj, dict):
        return {k: strip_markers(v, keys) for k, v in obj.items() if k not in keys}
    if isinstance(obj, list):
        return [strip_markers(v, keys) for v in obj]
    return obj


def int_usage(usage: Any) -> dict[str, int]:
    """Keep the integer counters of a usage object (nested breakdowns are dropped)."""
    if not isinstance(usage, dict):
        return {}
    return {k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)}


def messages_bytes(messages: list[dict[str, Any]]) -> int:
    """Size of a messages array as json.dumps with compact separators (ASCII-escaped), the replay's baseline."""
    return len(json.dumps(messages, separators=(",", ":")))
