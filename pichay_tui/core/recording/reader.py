"""Reading recordings back: every segment migrated to the current format, then one typed step per engine call."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import orjson

from ..events import Event
from ..model.exchange import Exchange, ResponseSummary
from ..errors import RecordingError
from .records import FORMAT, FORMAT_VERSION, SESSION_HEADER, resolve_body, resolve_outbound

# ---- migration ----
def _v0_to_v1(rec: dict[str, Any]) -> dict[str, Any]:
    """Pre-release files said `version` instead of `format_version` and had no `sent` field."""
    if rec.get("type") == "header":
        rec["format_version"] = rec.pop("version", 0)
    if rec.get("type") == "request":
        rec.setdefault("sent", "original" if rec.get("outbound", {}).get("kind") == "same" else "outbound")
        rec.setdefault("engine", bool(rec.get("session")) or bool(rec.get("side")))
    return rec


def _v1_to_v2(rec: dict[str, Any]) -> dict[str, Any]:
    """Format 1 always stored full bodies, which format 2 still reads as they are."""
    return rec


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1, 1: _v1_to_v2}


def migrate_record(rec: dict[str, Any], version: int) -> dict[str, Any]:
    """Upgrade one record written by `version` to FORMAT_VERSION, one step at a time."""
    if version > FORMAT_VERSION:
        raise RecordingError(f"recording format {version} is newer than this pichay-tui ({FORMAT_VERSION})")
    start = version
    while version < FORMAT_VERSION:
        rec = MIGRATIONS[version](rec)
        version += 1
    if rec.get("type") == "header" and start != FORMAT_VERSION:
        rec["format_version"], rec["migrated_from"] = FORMAT_VERSION, start
    return rec


def iter_records(path: str | Path, warnings: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every record, migrated to the current version; a truncated last line (crash mid-write) is skipped, with a
    note in `warnings` when given.

    A file holds one or more segments, each opened by its own header (`--record` on an existing file appends one
    per start); each segment is migrated from its own format version. A truncated line just before a segment
    header (the crash that ended the previous run) is skipped too.
    """
    version = None
    broken: int | None = None                 # line number of an unparsable line, forgiven if a header follows
    with open(path, "rb") as f:
        for n, line in enumerate(f):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                if not line.endswith(b"\n"):
                    if warnings is not None:
                        warnings.append(f"{path}:{n + 1}: last line cut off after {len(line):,} bytes, skipped "
                                        "(the records before it are used)")
                    return
                if broken is not None or version is None:
                    raise RecordingError(f"{path}:{(broken if broken is not None else n) + 1}: not JSON")
                broken = n
                continue
            is_header = isinstance(rec, dict) and rec.get("type") == "header" and rec.get("format") == FORMAT
            if broken is not None and not is_header:
                raise RecordingError(f"{path}:{broken + 1}: not JSON")
            broken = None
            if version is None and not is_header:
                raise RecordingError(f"{path}: not a pichay recording (no header on line 1)")
            if is_header:
                version = int(rec.get("format_version", rec.get("version", 0)))
            yield migrate_record(rec, version)
        if broken is not None:
            raise RecordingError(f"{path}:{broken + 1}: not JSON")


def is_recording(path: str | Path) -> bool:
    """Whether the file starts with a pichay recording header (what `--record` may append to)."""
    with open(path, "rb") as f:
        first = f.readline()
    try:
        rec = orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return isinstance(rec, dict) and rec.get("type") == "header" and rec.get("format") == FORMAT


# ---- reading ----
@dataclass(slots=True)
class RecordedRequest:
    """A client request as received (`exchange`, whose `response` is filled in once its response record is read)."""

    id: int
    exchange: Exchange
    outbound: dict[str, Any]
    session: str = ""
    request_no: int = 0
    side: bool = False
    engine: bool = False
    sent: str = "original"
    method: str = "POST"
    failure: str | None = None
    events: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class RecordedResponse:
    id: int
    ts: float
    session: str
    response: ResponseSummary
    duration_ms: float = 0.0
    events: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class RecordedCommand:
    ts: float
    command: str
    args: dict[str, Any]
    ok: bool
    result: Any = None
    error: str | None = None
    events: list[Event] = field(default_factory=list)


Step = RecordedRequest | RecordedResponse | RecordedCommand


def _events(rec: Mapping[str, Any]) -> list[Event]:
    return [Event.from_dict(e) for e in rec.get("events") or ()]


def read_recording(path: str | Path, warnings: list[str] | None = None) -> Iterator[Step]:
    """Header excluded, every engine call in the order the live engine saw it (drive.py replays them)."""
    requests: dict[int, RecordedRequest] = {}
    bases: dict[str, tuple[int, Any]] = {}
    offset = last = 0             # ids restart in each segment: later segments' ids follow the earlier ones'
    for rec in iter_records(path, warnings):
        kind = rec.get("type")
        if kind == "header":
            offset, bases = last, {}          # deltas never reach across a restart
        elif kind == "request":
            body = resolve_body(rec, bases)
            headers = dict(rec.get("headers") or {})
            if rec.get("client_session"):
                headers[SESSION_HEADER] = rec["client_session"]
            ex = Exchange(body=body, headers=headers, ts=rec.get("ts", 0.0),
                          path=rec.get("path", "/v1/messages"), source="recording")
            out = resolve_outbound(rec, body, bases)
            last = max(last, rec["id"] + offset)
            step = RecordedRequest(rec["id"] + offset, ex, out, rec.get("session", ""), rec.get("request_no", 0),
                                   rec.get("side", False), rec.get("engine", False), rec.get("sent", "original"),
                                   rec.get("method", "POST"), rec.get("failure"), _events(rec))
            requests[step.id] = step
            yield step
        elif kind == "response":
            summary = ResponseSummary.from_dict(rec.get("response"))
            if rec["id"] + offset in requests:
                requests.pop(rec["id"] + offset).exchange.response = summary
            yield RecordedResponse(rec["id"] + offset, rec.get("ts", 0.0), rec.get("session", ""), summary,
                                   rec.get("duration_ms", 0.0), _events(rec))
        elif kind == "command":
            yield RecordedCommand(rec.get("ts", 0.0), rec["command"], dict(rec.get("args") or {}), rec.get("ok", True),
                                  rec.get("result"), rec.get("error"), _events(rec))


def read_header(path: str | Path) -> dict[str, Any]:
    """The first segment's header."""
    return next(iter_records(path))


def read_segments(path: str | Path) -> list[dict[str, Any]]:
    """Every segment's header, in order (one per `--record` start on this file)."""
    return [r for r in iter_records(path) if r.get("type") == "header"]


def load_exchanges(path: str | Path) -> list[Exchange]:
    """Just the Messages API exchanges (with responses attached), for analysis and importers' consumers."""
    return [s.exchange for s in read_recording(path)
            if isinstance(s, RecordedRequest) and s.exchange.path.startswith("/v1/messages")
            and not s.exchange.path.startswith("/v1/messages/count_tokens") and isinstance(s.exchange.body, dict)]
