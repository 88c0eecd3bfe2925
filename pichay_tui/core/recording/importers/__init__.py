"""Importers: turn foreign session files (reference-proxy logs, Claude Code transcripts) into Exchanges."""
from __future__ import annotations

from pathlib import Path

import orjson

from ._common import ImportResult, iter_lines, messages_bytes
from ...errors import UnsupportedFormat
from .cc_transcript import load_cc_transcript
from .legacy_proxy import load_legacy_proxy

__all__ = ["ImportResult", "UnsupportedFormat", "detect_format", "load_exchanges", "load_cc_transcript",
           "load_legacy_proxy", "messages_bytes", "FORMATS"]

FORMATS = ("recording", "legacy-proxy", "cc-transcript", "unknown")
LEGACY_TYPES = frozenset({"request", "response", "response_stream", "trimming"})
TRANSCRIPT_TYPES = frozenset({"user", "assistant", "queue-operation", "summary", "system", "progress",
                              "file-history-snapshot", "attachment"})
SNIFF_LINES = 20


def _classify(obj: object) -> str | None:
    """Format a single parsed record points to, or None when it says nothing."""
    if not isinstance(obj, dict):
        return None
    kind = obj.get("type")
    if kind == "header" and obj.get("format") == "pichay-recording":
        return "recording"
    if kind in LEGACY_TYPES and ("messages_full" in obj or "status_code" in obj or "request_num" in obj
                                 or "total_request_bytes" in obj):
        return "legacy-proxy"
    if kind in ("user", "assistant", "queue-operation") and "sessionId" in obj:
        return "cc-transcript"
    if kind in TRANSCRIPT_TYPES and "session_id" not in obj:  # session_id: `--output-format stream-json`
        return "cc-transcript?"
    return None


def _detect_file(path: Path) -> str:
    """Sniff the first lines of one file (the recording header must be the first line)."""
    weak = None
    for i, (_, line) in enumerate(iter_lines(path, limit=SNIFF_LINES * 5)):
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        kind = _classify(obj)
        if kind == "recording" and i != 0:
            kind = None
        if kind and not kind.endswith("?"):
            return kind
        weak = weak or kind
        if i + 1 >= SNIFF_LINES:
            break
    return weak[:-1] if weak else "unknown"


def detect_format(path: str | Path) -> str:
    """Return "recording", "legacy-proxy", "cc-transcript" or "unknown" for a file or a folder."""
    path = Path(path)
    if path.is_dir():
        if (path / "proxy.jsonl").is_file():
            return "legacy-proxy"
        kinds = {_detect_file(p) for p in path.rglob("*.jsonl") if p.is_file()}
        return "cc-transcript" if kinds == {"cc-transcript"} else "unknown"
    if not path.is_file():
        return "unknown"
    return _detect_file(path)


def load_exchanges(path: str | Path) -> ImportResult:
    """Import a session file or folder; raises UnsupportedFormat with a readable reason when it cannot."""
    path = Path(path)
    if not path.exists():
        raise UnsupportedFormat(f"{path}: no such file or folder")
    fmt = detect_format(path)
    if fmt == "legacy-proxy":
        return load_legacy_proxy(path)
    if fmt == "cc-transcript":
        return load_cc_transcript(path)
    if fmt == "recording":
        raise UnsupportedFormat(f"{path}: a pichay recording; open it with the recording reader, not an importer")
    if path.is_dir():
        raise UnsupportedFormat(f"{path}: a folder with no session in it (expected a proxy.jsonl or Claude Code "
                                f"transcript .jsonl files)")
    if path.stat().st_size == 0:
        raise UnsupportedFormat(f"{path}: empty file, nothing to import")
    if not any(_parses(line) for _, line in iter_lines(path, limit=SNIFF_LINES)):
        raise UnsupportedFormat(f"{path}: not JSON lines (expected a pichay recording, a pichay-legacy proxy.jsonl "
                                f"or a Claude Code transcript .jsonl)")
    raise UnsupportedFormat(f"{path}: unknown format (expected a pichay recording, a pichay-legacy proxy.jsonl or a "
                            f"Claude Code transcript .jsonl)")


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True
