"""Session recordings: versioned JSONL records (sans-io builders), a reader with migration, and replay.

Line 1 is the header (`{"type": "header", "format": "pichay-recording", "format_version": N, ...}`); then one
record per engine call, in the order the engine saw them: `request` (body as received + outbound as sent),
`response` (status, usage, stop reason, assistant content) and `command` (operator commands accepted by the
control API). Each carries the core events that call emitted. See docs/recording-format.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import orjson

from .events import Event
from .exchange import Exchange, ResponseSummary

FORMAT = "pichay-recording"
FORMAT_VERSION = 1
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "cookie", "set-cookie", "proxy-authorization",
                            "anthropic-admin-key"})


class RecordingError(ValueError):
    """Not a pichay recording, or one from a newer version of pichay-tui."""


def safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}


# ---- record builders ----
def header_record(ts: float, config: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "header", "format": FORMAT, "format_version": FORMAT_VERSION, "ts": ts,
            "config": dict(config), **extra}


def outbound_diff(body: Any, outbound: Any) -> dict[str, Any]:
    """The outbound as a compact diff against the request: only changed top-level keys and changed messages."""
    if outbound is body:
        return {"kind": "same"}
    if not isinstance(body, dict) or not isinstance(outbound, dict):
        return {"kind": "full", "body": outbound}
    top = {k: v for k, v in outbound.items() if k != "messages" and (k not in body or body[k] != v)}
    removed = [k for k in body if k not in outbound]
    src, dst = body.get("messages") or [], outbound.get("messages") or []
    msgs = {str(i): m for i, m in enumerate(dst) if i >= len(src) or (m is not src[i] and m != src[i])}
    return {"kind": "diff", "top": top, "removed": removed, "n_messages": len(dst), "messages": msgs}


def apply_outbound(body: dict[str, Any], diff: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild the outbound body from the request body and an `outbound` entry."""
    kind = diff.get("kind")
    if kind == "same":
        return body
    if kind == "full":
        return diff["body"]
    out = {k: v for k, v in body.items() if k not in set(diff.get("removed") or ())}
    out.update(diff.get("top") or {})
    src = body.get("messages") or []
    changed = diff.get("messages") or {}
    out["messages"] = [changed.get(str(i), src[i] if i < len(src) else None) for i in range(diff["n_messages"])]
    return out


def request_record(xid: int, ts: float, method: str, path: str, headers: Mapping[str, str], body: Any,
                   outbound: Any, *, session: str = "", request_no: int = 0, side: bool = False,
                   engine: bool = False, sent: str = "original", failure: str | None = None,
                   events: list[Event] = ()) -> dict[str, Any]:
    """`engine`: the live engine's handle_request processed it (replay repeats exactly those);
    `sent`: which bytes went upstream, "original" (the client's bytes) or "outbound" (orjson of outbound)."""
    return {"type": "request", "id": xid, "ts": ts, "method": method, "path": path,
            "headers": safe_headers(headers), "session": session, "request_no": request_no, "side": side,
            "engine": engine,
            "body": body, "outbound": outbound_diff(body, outbound), "sent": sent, "failure": failure,
            "events": [e.to_dict() for e in events]}


def response_record(xid: int, ts: float, session: str, summary: ResponseSummary, duration_ms: float,
                    events: list[Event] = (), failure: str | None = None) -> dict[str, Any]:
    return {"type": "response", "id": xid, "ts": ts, "session": session, "response": summary.to_dict(),
            "duration_ms": round(duration_ms, 3), "failure": failure, "events": [e.to_dict() for e in events]}


def command_record(ts: float, command: str, args: Mapping[str, Any], ok: bool, result: Any = None,
                   error: str | None = None, events: list[Event] = ()) -> dict[str, Any]:
    return {"type": "command", "ts": ts, "command": command, "args": dict(args), "ok": ok, "result": result,
            "error": error, "events": [e.to_dict() for e in events]}


def dumps(record: Mapping[str, Any]) -> bytes:
    return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS) + b"\n"


# ---- migration ----
def _v0_to_v1(rec: dict[str, Any]) -> dict[str, Any]:
    """Pre-release files said `version` instead of `format_version` and had no `sent` field."""
    if rec.get("type") == "header":
        rec["format_version"] = rec.pop("version", 0)
    if rec.get("type") == "request":
        rec.setdefault("sent", "original" if rec.get("outbound", {}).get("kind") == "same" else "outbound")
        rec.setdefault("engine", bool(rec.get("session")) or bool(rec.get("side")))
    return rec


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1}


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


def iter_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """Every record, migrated to the current version; a truncated last line (crash mid-write) is skipped."""
    version = None
    with open(path, "rb") as f:
        for n, line in enumerate(f):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                if line.endswith(b"\n"):
                    raise RecordingError(f"{path}:{n + 1}: not JSON")
                return
            if version is None:
                if not (isinstance(rec, dict) and rec.get("type") == "header" and rec.get("format") == FORMAT):
                    raise RecordingError(f"{path}: not a pichay recording (no header on line 1)")
                version = int(rec.get("format_version", rec.get("version", 0)))
            yield migrate_record(rec, version)


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


def read_recording(path: str | Path) -> Iterator[Step]:
    """Header excluded, every engine call in the order the live engine saw it (see `replay`)."""
    requests: dict[int, RecordedRequest] = {}
    for rec in iter_records(path):
        kind = rec.get("type")
        if kind == "request":
            body = rec.get("body")
            ex = Exchange(body=body, headers=dict(rec.get("headers") or {}), ts=rec.get("ts", 0.0),
                          path=rec.get("path", "/v1/messages"), source="recording")
            out = apply_outbound(body, rec["outbound"]) if isinstance(body, dict) else body
            step = RecordedRequest(rec["id"], ex, out, rec.get("session", ""), rec.get("request_no", 0),
                                   rec.get("side", False), rec.get("engine", False), rec.get("sent", "original"),
                                   rec.get("method", "POST"), rec.get("failure"), _events(rec))
            requests[step.id] = step
            yield step
        elif kind == "response":
            summary = ResponseSummary.from_dict(rec.get("response"))
            if rec["id"] in requests:
                requests.pop(rec["id"]).exchange.response = summary
            yield RecordedResponse(rec["id"], rec.get("ts", 0.0), rec.get("session", ""), summary,
                                   rec.get("duration_ms", 0.0), _events(rec))
        elif kind == "command":
            yield RecordedCommand(rec.get("ts", 0.0), rec["command"], dict(rec.get("args") or {}), rec.get("ok", True),
                                  rec.get("result"), rec.get("error"), _events(rec))


def read_header(path: str | Path) -> dict[str, Any]:
    return next(iter_records(path))


def load_exchanges(path: str | Path) -> list[Exchange]:
    """Just the Messages API exchanges (with responses attached), for analysis and importers' consumers."""
    return [s.exchange for s in read_recording(path)
            if isinstance(s, RecordedRequest) and s.exchange.path.startswith("/v1/messages")
            and not s.exchange.path.startswith("/v1/messages/count_tokens") and isinstance(s.exchange.body, dict)]


def replay(steps: Iterator[Step] | str | Path, engine: Any) -> list[Event]:
    """Drive a fresh core Engine through a recording exactly as the live one was driven; returns its events.

    Requests the live engine did not process (count_tokens, invalid JSON, other paths) are skipped, as live; a
    request on which the live engine failed is replayed (the failure may have been transient).
    """
    if isinstance(steps, (str, Path)):
        steps = read_recording(steps)
    out: list[Event] = []
    unsubscribe = engine.subscribe(out.append)
    sessions: dict[int, str] = {}
    try:
        for step in steps:
            if isinstance(step, RecordedRequest):
                if not step.engine:
                    continue
                try:
                    r = engine.handle_request(step.exchange.body, step.exchange.headers, step.exchange.path,
                                              now=step.exchange.ts, side=step.side)
                except Exception:  # noqa: BLE001
                    if not step.failure:
                        raise
                    continue
                sessions[step.id] = r.session_id
            elif isinstance(step, RecordedResponse):
                sid = sessions.pop(step.id, "")
                if sid:
                    engine.handle_response(sid, step.response, now=step.ts)
            elif step.ok:
                try:
                    engine.apply_recorded(step.command, step.args)
                except Exception:  # noqa: BLE001 - a command that no longer validates is skipped, as live
                    pass
    finally:
        unsubscribe()
    return out
