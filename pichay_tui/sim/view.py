"""Read-only helpers over one Messages API request body, used by the scripted model to find where it is."""
from __future__ import annotations

import re
from typing import Any

from ..core.model.blocks import content_text

SIM_ID_RE = re.compile(r"toolu_sim_(\d{4,})_([0-9a-f]{8})")
REMINDER_RE = re.compile(r"<system-reminder>.*?</system-reminder>", re.S)
WARMUP_RE = re.compile(r"(?:cache\s+)?warm(?:ing)?[\s-]*up[.!]?", re.I)


def parse_step(tool_id: str) -> int | None:
    """Step number encoded in a simulator tool_use id, or None for foreign ids."""
    m = SIM_ID_RE.fullmatch(tool_id or "")
    return int(m.group(1)) if m else None


def _plain_part(block: Any) -> str | None:
    if isinstance(block, str):
        return block
    if isinstance(block, dict):
        if block.get("type") == "text":
            return block.get("text") or ""
        if block.get("type") == "tool_result":
            return block_text(block.get("content"))
    return None                                       # images, tool calls and the rest carry no text for the agent


def block_text(content: Any) -> str:
    """Plain text of a message or tool_result content (string or list of blocks)."""
    return content_text(content, _plain_part)


class RequestView:
    """Index of one request: tool names offered, tool_use blocks by step, tool_result blocks by id."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.messages: list[dict[str, Any]] = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        self.tool_names: set[str] = {t.get("name") for t in body.get("tools") or []
                                     if isinstance(t, dict) and t.get("name")}
        self.uses: list[dict[str, Any]] = []
        self.results: dict[str, dict[str, Any]] = {}
        self.user_texts: list[str] = []
        for msg in self.messages:
            content = msg.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
            for block in blocks:
                if not isinstance(block, dict):
                    continue
                kind = block.get("type")
                if kind == "tool_use" and msg.get("role") == "assistant":
                    self.uses.append(block)
                elif kind == "tool_result":
                    self.results[str(block.get("tool_use_id"))] = block
                elif kind == "text" and msg.get("role") == "user":
                    self.user_texts.append(block.get("text") or "")

    def last_step(self) -> int | None:
        """Highest step whose tool_use appears in the request (None: nothing of ours yet)."""
        steps = [s for s in (parse_step(str(u.get("id"))) for u in self.uses) if s is not None]
        if steps:
            return max(steps)
        ids = [parse_step(i) for i in self.results]
        ids = [s for s in ids if s is not None]
        return max(ids) if ids else None

    def ended_after_answer(self) -> bool:
        """True when the last assistant message is a final text (the human then spoke again)."""
        for msg in reversed(self.messages):
            if msg.get("role") == "assistant":
                content = msg.get("content")
                return not any(isinstance(b, dict) and b.get("type") == "tool_use" for b in content or []) \
                    if not isinstance(content, str) else True
        return False

    def calls_at(self, step: int) -> list[dict[str, Any]]:
        """tool_use blocks the model emitted at `step`, in order."""
        return [u for u in self.uses if parse_step(str(u.get("id"))) == step]

    def result_for(self, tool_use_id: str) -> dict[str, Any] | None:
        """The tool_result block answering `tool_use_id`, if still present."""
        return self.results.get(tool_use_id)

    def result_text_at(self, step: int, idx: int = 0) -> tuple[str | None, bool]:
        """(text, is_error) of the idx-th call at `step`; text None when the call or result is gone."""
        calls = self.calls_at(step)
        if idx >= len(calls):
            return None, False
        res = self.result_for(str(calls[idx].get("id")))
        if res is None:
            return None, False
        return block_text(res.get("content")), bool(res.get("is_error"))

    def all_text(self) -> str:
        """Every text in system, messages and tool results, joined (for searching tags and ids)."""
        parts = [block_text(self.body.get("system"))]
        for msg in self.messages:
            parts.append(block_text(msg.get("content")))
        return "\n".join(parts)

    def is_warmup(self) -> bool:
        """A cache warm-up: one user message whose own words (reminders aside) only say "warm up", no task and no
        tool results (Claude Code's Bash/Explore/Plan agents send "Warmup"); the real API answers it with a line."""
        if len(self.messages) != 1 or self.messages[0].get("role") != "user" or self.results:
            return False
        return bool(WARMUP_RE.fullmatch(REMINDER_RE.sub(" ", "\n".join(self.user_texts)).strip()))

    def tag(self, name: str) -> str | None:
        """Value of a `[sim-NAME:value]` tag (or '' for `[sim-NAME]`) in the user's own texts."""
        rx = re.compile(r"\[sim-" + re.escape(name) + r"(?::([^\]\s]+))?\]")
        for text in self.user_texts:
            m = rx.search(text)
            if m:
                return m.group(1) or ""
        return None
