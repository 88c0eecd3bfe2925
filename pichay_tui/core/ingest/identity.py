"""Session identity: client metadata first, then a cache-marker-free fingerprint of the conversation's start."""
from __future__ import annotations

import re
from typing import Any, Mapping

import orjson

from ..model.blocks import as_blocks, content_hash, message_fp
from ..model.redact import pseudonym

_SESSION_RE = re.compile(r"_session_([0-9A-Za-z-]+)")


def client_session_key(body: dict[str, Any], headers: Mapping[str, str]) -> str | None:
    """The client's own session id (Claude Code header or metadata.user_id), if it sent one, as a pseudonym: the
    key is checkpointed to the store, and a header named *session* never reaches a file we write."""
    for k, v in headers.items():
        if k.lower() == "x-claude-code-session-id" and v:
            return "cc:" + pseudonym(v)
    uid = (body.get("metadata") or {}).get("user_id")
    if not isinstance(uid, str) or not uid:
        return None
    if uid.startswith("{"):
        try:
            sid = orjson.loads(uid).get("session_id")
            if sid:
                return "cc:" + pseudonym(sid)
        except (orjson.JSONDecodeError, AttributeError):
            pass
    m = _SESSION_RE.search(uid)
    return "cc:" + pseudonym(m.group(1)) if m else "uid:" + pseudonym(uid)


def client_label(headers: Mapping[str, str]) -> str:
    ua = next((v for k, v in headers.items() if k.lower() == "user-agent"), "")
    if ua.startswith("claude-cli/"):
        return "claude-code " + ua.split("/", 1)[1].split(" ", 1)[0]
    if "anthropic" in ua.lower() and "python" in ua.lower():
        return "anthropic-python"
    if ua.lower().startswith("pichay-sim"):
        return "sim-agent"
    return ua.split(" ", 1)[0] if ua else "unknown"


def first_message_fp(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    return message_fp(messages[0] if messages else {})


def system_fp(body: dict[str, Any]) -> str:
    return content_hash(body.get("system") or "")


def agent_signature(body: dict[str, Any]) -> str:
    """Which agent is talking: its system prompt and tool names. Claude Code's warm-up agents (Bash, Explore, Plan)
    all open with the text "Warmup"; only this tells their conversations apart."""
    tools = sorted(str(t.get("name")) for t in body.get("tools") or [] if isinstance(t, dict))
    return content_hash([as_blocks(body.get("system") or ""), tools])


def is_continuation(body: dict[str, Any]) -> bool:
    """Claude Code's auto-compact starts the new history with a summary of the old one."""
    messages = body.get("messages") or []
    if not messages:
        return False
    c = messages[0].get("content")
    text = c if isinstance(c, str) else " ".join(b.get("text", "") for b in c or [] if isinstance(b, dict))
    return "continued from a previous conversation" in text
