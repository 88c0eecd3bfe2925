"""Session recordings: the versioned JSONL records, as sans-io builders (read back by reader.py).

Line 1 is the header (`{"type": "header", "format": "pichay-recording", "format_version": N, ...}`); then one
record per engine call, in the order the engine saw them: `request` (body as received + outbound as sent),
`response` (status, usage, stop reason, assistant content) and `command` (operator commands accepted by the
control API). Each carries the core events that call emitted. A later start with `--record` on the same file
appends a new segment: another header, then that run's records. See docs/recording-format.md.
"""
from __future__ import annotations

from typing import Any, Mapping

import orjson

from ..events import Event
from ..model.exchange import ResponseSummary
from ..model.redact import pseudonym, redact_text, safe_headers
from ..errors import RecordingError

FORMAT = "pichay-recording"
FORMAT_VERSION = 2


SESSION_HEADER = "x-claude-code-session-id"


def client_session(headers: Mapping[str, str]) -> str | None:
    """The client's session header as a pseudonym (the header itself is never written; replay matches on this)."""
    v = next((v for k, v in headers.items() if k.lower() == SESSION_HEADER and v), None)
    return pseudonym(v) if v else None


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


class BodyDelta:
    """Stores each request body of a session as a delta against that session's previous one.

    An agent re-sends its whole history every call, so full bodies make a recording grow with the square of the
    session's length; a delta keeps the common prefix by reference (`keep` messages of the `base` request), the
    messages after it, and the top-level keys that changed. Equality, not hashing, decides the prefix: exact.
    """

    def __init__(self) -> None:
        self._last: dict[str, tuple[int, dict[str, Any]]] = {}

    def remember(self, xid: int, session: str, body: Any) -> None:
        if session and isinstance(body, dict):
            self._last[session] = (xid, body)

    def encode(self, xid: int, session: str, body: Any) -> dict[str, Any]:
        if not session or not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return {"body": body}
        prev, self._last[session] = self._last.get(session), (xid, body)
        if prev is None:
            return {"body": body}
        base_id, base = prev
        pm, m = base["messages"], body["messages"]
        k, n = 0, min(len(pm), len(m))
        while k < n and pm[k] == m[k]:
            k += 1
        top = {key: v for key, v in body.items() if key != "messages" and (key not in base or base[key] != v)}
        removed = [key for key in base if key not in body]
        return {"body_delta": {"base": base_id, "keep": k, "append": m[k:], "top": top, "removed": removed}}

    def encode_outbound(self, xid: int, session: str, body: Any, outbound: Any) -> dict[str, Any]:
        """The outbound against the request body and the session's previous outbound.

        A message stays out if it is the client's own; a rewritten message (a handle) that equals the one at the
        same index of the previous outbound is named by index only; only messages new to both are stored.
        """
        key = "\0out:" + session
        if outbound is body or not session or not isinstance(outbound, dict) or not isinstance(body, dict):
            if session:
                self.remember(xid, key, outbound)
            return {"kind": "same"} if outbound is body else outbound_diff(body, outbound)
        prev = self._last.get(key)
        self.remember(xid, key, outbound)
        diff = outbound_diff(body, outbound)
        if prev is None or diff.get("kind") != "diff":
            return diff
        pm = prev[1].get("messages") or [] if isinstance(prev[1], dict) else []
        stored, from_prev = {}, []
        for i, m in diff["messages"].items():
            j = int(i)
            if j < len(pm) and pm[j] == m:
                from_prev.append(j)
            else:
                stored[i] = m
        po = prev[1] if isinstance(prev[1], dict) else {}
        top = {k: v for k, v in diff["top"].items() if po.get(k, object()) != v}
        return {**diff, "kind": "diff2", "base": prev[0], "messages": stored, "from_prev": from_prev,
                "top": top, "top_from_prev": [k for k in diff["top"] if k not in top]}


def resolve_body(rec: Mapping[str, Any], bases: dict[str, tuple[int, Any]], delta: Any = None,
                 key: str | None = None) -> Any:
    """The full body of a record (format 2 delta, or stored whole); it becomes its session's next base.

    `bases` holds one (request id, body) per session, so reading stays bounded however long the recording is.
    """
    delta = rec.get("body_delta") if delta is None else delta
    key = rec.get("session") if key is None else key
    if not delta:
        body = rec.get("body")
    else:
        base_id, base = bases.get(key, (None, None))
        if base_id != delta["base"] or not isinstance(base, dict):
            raise RecordingError(f"request {rec.get('id')}: its base request {delta['base']} is missing")
        body = {k: v for k, v in base.items() if k not in set(delta.get("removed") or ())}
        body.update(delta.get("top") or {})
        body["messages"] = base["messages"][: delta["keep"]] + list(delta.get("append") or [])
    if isinstance(body, dict) and key:
        bases[key] = (rec["id"], body)
    return body


def request_record(xid: int, ts: float, method: str, path: str, headers: Mapping[str, str], body: Any,
                   outbound: Any, *, session: str = "", request_no: int = 0, side: bool = False,
                   engine: bool = False, sent: str = "original", failure: str | None = None,
                   events: list[Event] = (), delta: BodyDelta | None = None) -> dict[str, Any]:
    """`engine`: the live engine's handle_request processed it (replay repeats exactly those);
    `sent`: which bytes went upstream, "original" (the client's bytes) or "outbound" (orjson of outbound);
    with `delta`, the body is stored against the session's previous request (format 2)."""
    if delta is None:
        stored, out = {"body": body}, outbound_diff(body, outbound)
    else:
        stored = delta.encode(xid, session, body)
        out = delta.encode_outbound(xid, session, body, outbound)
    cs = client_session(headers)
    return {"type": "request", "id": xid, "ts": ts, "method": method, "path": path,
            "headers": safe_headers(headers), **({"client_session": cs} if cs else {}), "session": session, "request_no": request_no, "side": side,
            "engine": engine,
            **stored, "outbound": out, "sent": sent, "failure": redact_text(failure) if failure else failure,
            "events": [e.to_dict() for e in events]}


def resolve_outbound(rec: Mapping[str, Any], body: Any, bases: dict[str, tuple[int, Any]]) -> Any:
    """The outbound of a record: the body itself, a diff against it, or (format 2) a diff that also names messages
    repeated from the session's previous outbound."""
    diff = rec.get("outbound") or {"kind": "same"}
    key = "\0out:" + rec["session"] if rec.get("session") else ""
    if diff.get("kind") == "diff2":
        base_id, base = bases.get(key, (None, None))
        if base_id != diff["base"] or not isinstance(base, dict):
            raise RecordingError(f"request {rec.get('id')}: the outbound of its base request {diff['base']} is missing")
        pm = base.get("messages") or []
        diff = {**diff, "kind": "diff", "messages": {**{str(j): pm[j] for j in diff.get("from_prev") or ()},
                                                     **(diff.get("messages") or {})},
                "top": {**{k: base[k] for k in diff.get("top_from_prev") or ()}, **(diff.get("top") or {})}}
    out = apply_outbound(body, diff) if isinstance(body, dict) else body
    if isinstance(out, dict) and key:
        bases[key] = (rec["id"], out)
    return out


def response_record(xid: int, ts: float, session: str, summary: ResponseSummary, duration_ms: float,
                    events: list[Event] = (), failure: str | None = None) -> dict[str, Any]:
    response = summary.to_dict()
    if isinstance(response.get("error"), str):
        response["error"] = redact_text(response["error"])
    return {"type": "response", "id": xid, "ts": ts, "session": session, "response": response,
            "duration_ms": round(duration_ms, 3), "failure": redact_text(failure) if failure else failure,
            "events": [e.to_dict() for e in events]}


def command_record(ts: float, command: str, args: Mapping[str, Any], ok: bool, result: Any = None,
                   error: str | None = None, events: list[Event] = ()) -> dict[str, Any]:
    return {"type": "command", "ts": ts, "command": command, "args": dict(args), "ok": ok, "result": result,
            "error": error, "events": [e.to_dict() for e in events]}


def dumps(record: Mapping[str, Any]) -> bytes:
    return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS) + b"\n"
