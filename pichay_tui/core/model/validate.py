"""Structural checks of a Messages API request body: what the outbound view must always satisfy."""
from __future__ import annotations

from typing import Any

ROLES = {"user", "assistant", "system"}


def validate_request(body: dict[str, Any]) -> list[str]:
    """Problems that would make the API reject the body (empty list when valid)."""
    problems: list[str] = []
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return ["messages must be a non-empty list"]
    open_uses: set[str] = set()
    for i, m in enumerate(messages):
        role = m.get("role")
        if role not in ROLES:
            problems.append(f"messages[{i}]: invalid role {role!r}")
        content = m.get("content")
        if isinstance(content, str):
            if not content and role != "assistant":
                problems.append(f"messages[{i}]: empty content")
            blocks: list = []
        elif isinstance(content, list):
            if not content:
                problems.append(f"messages[{i}]: empty content list")
            blocks = content
        else:
            problems.append(f"messages[{i}]: content must be a string or a list")
            continue
        results = {b.get("tool_use_id") for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"}
        if role == "user":
            if open_uses - results:
                problems.append(f"messages[{i}]: tool_use ids without a result: {sorted(open_uses - results)}")
            if results - open_uses:
                problems.append(f"messages[{i}]: tool_result without a preceding tool_use: {sorted(results - open_uses)}")
            open_uses = set()
        elif role == "assistant" and open_uses:
            problems.append(f"messages[{i}]: assistant message follows unanswered tool_use ids")
            open_uses = set()
        for j, b in enumerate(blocks):
            if not isinstance(b, dict) or "type" not in b:
                problems.append(f"messages[{i}].content[{j}]: not a typed block")
                continue
            if b["type"] == "text" and not b.get("text"):
                problems.append(f"messages[{i}].content[{j}]: empty text block")
            if b["type"] == "tool_use":
                if role != "assistant":
                    problems.append(f"messages[{i}].content[{j}]: tool_use outside an assistant message")
                open_uses.add(b.get("id"))
            if b["type"] == "tool_result":
                c = b.get("content")
                if role != "user":
                    problems.append(f"messages[{i}].content[{j}]: tool_result outside a user message")
                if c is not None and not isinstance(c, (str, list)):
                    problems.append(f"messages[{i}].content[{j}]: tool_result content must be str or list")
    if open_uses and messages[-1].get("role") == "user":
        problems.append("tool_use ids left without results")
    return problems
