"""The scripted model: a pure function from a Messages API request body to the assistant's reply."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from .script import get_script
from .steps import Final, Parallel, make_tool_id
from .view import RequestView

SIDE_REPLY = "Simulated session"  # answer to side requests without tools (titles, probes, quota checks)
WARMUP_REPLY = "Ready."           # answer to a one-word warm-up ("Warmup"), as a real model gives: text, no tools
WORKDIR_RE = re.compile(r"Primary working directory: (\S+)")


@dataclass
class Reply:
    """Content blocks of one assistant message and its stop reason."""

    content: list[dict[str, Any]]
    stop_reason: str
    script: str = ""
    step: int = -1


def choose_script(view: RequestView, default: str) -> str:
    """`[sim-subagent]` -> subagent-worker, `[sim-subagent:NAME]` and `[sim-script:NAME]` -> NAME; else the default."""
    sub = view.tag("subagent")
    if sub is not None:
        return sub or "subagent-worker"
    return view.tag("script") or default


def choose_workdir(view: RequestView, configured: str | None) -> str:
    """Configured workdir, else a `[sim-workdir:PATH]` tag, else Claude Code's 'Primary working directory'."""
    if configured:
        return str(configured)
    tagged = view.tag("workdir")
    if tagged:
        return tagged
    m = WORKDIR_RE.search(view.all_text())
    return m.group(1) if m else "/tmp"


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def decide(body: dict[str, Any], default_script: str = "coding", workdir: str | None = None) -> Reply:
    """Next assistant message: step = 1 + the highest step encoded in the request's sim tool ids (none -> 0)."""
    view = RequestView(body)
    if not view.tool_names:
        return Reply([_text_block(SIDE_REPLY)], "end_turn")
    if view.is_warmup():                  # a warm-up stays one request: short text, no tool calls
        return Reply([_text_block(WARMUP_REPLY)], "end_turn")
    name = choose_script(view, default_script)
    script = get_script(name, choose_workdir(view, workdir))
    last = view.last_step()
    if last is not None and view.ended_after_answer():
        return Reply([_text_block("Nothing further to do; the task above is complete.")], "end_turn", name, last)
    step_no = 0 if last is None else last + 1
    step = script.step(step_no, view)
    if isinstance(step, Final):
        text = step.text(view) if callable(step.text) else step.text
        return Reply([_text_block(text)], "end_turn", name, step_no)
    calls = step.calls if isinstance(step, Parallel) else (step,)
    note = step.note
    content: list[dict[str, Any]] = []
    note_text = note(view) if callable(note) else note
    if not note_text and isinstance(step, Parallel):
        note_text = "Running these in parallel."
    if note_text:
        content.append(_text_block(note_text))
    for idx, call in enumerate(calls):
        tool, inp = call.resolve(view.tool_names)
        content.append({"type": "tool_use", "id": make_tool_id(step_no, idx, tool, inp, salt=name),
                        "name": tool, "input": inp})
    return Reply(content, "tool_use", name, step_no)


def message_id(body: dict[str, Any], reply: Reply) -> str:
    """Deterministic message id for a reply (same request, same id)."""
    raw = json.dumps([reply.script, reply.step, reply.content], sort_keys=True).encode()
    return "msg_sim_" + hashlib.sha1(raw).hexdigest()[:20]
