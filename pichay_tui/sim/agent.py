"""A simulated coding agent that talks to a Messages API endpoint the way Claude Code does and runs tools for real."""
from __future__ import annotations

import asyncio
import copy
import inspect
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import httpx

from .script import script_prompt
from .sse import MessageAssembler, SSEParser
from .tool_defs import TOOLS
from .tool_exec import ToolExecutor

BETAS = "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"
IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."
INSTRUCTIONS = """You are an interactive CLI tool that helps users with software engineering tasks. Use the
instructions below and the tools available to you to assist the user.

# Tone and style
Be concise, direct, and to the point. Your output is displayed on a command line interface; use GitHub-flavored
markdown. Only use tools to complete tasks, never to communicate with the user. Do not add unnecessary preamble.

# Doing tasks
- Use the search tools extensively to understand the codebase and the user's query.
- Implement the solution using all tools available to you; verify it with the project's tests when possible.
- Never assume a library is available; check the project's manifest first. Mimic existing code style.
- When you read a file, remember what it contained: re-reading unchanged files wastes the user's time.

# Tool usage policy
- Batch independent tool calls in a single message so they run in parallel.
- Prefer dedicated tools over shell commands for reading, searching and editing files.
""" * 3


class AgentError(Exception):
    """The upstream rejected a request or kept failing after the allowed retries."""


@dataclass
class AgentExchange:
    """One request/response round: what was sent, the assembled reply, and the tool results produced."""

    turn: int
    request: dict[str, Any]
    response: dict[str, Any]
    tool_results: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AgentResult:
    """Outcome of a run: final answer text, number of model turns, every request body and reply."""

    final_text: str
    turns: int
    requests: list[dict[str, Any]]
    responses: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    session_id: str = ""
    subagents: list["AgentResult"] = field(default_factory=list)


Hook = Callable[[AgentExchange], Any]


class SimulatedAgent:
    """Claude-Code-like client loop: send, parse the SSE reply, run its tool calls, send the results back."""

    def __init__(self, base_url: str, workdir: Path | str, script: str | None = "coding", prompt: str | None = None,
                 session_metadata: dict[str, Any] | None = None, stream: bool = True, model: str = "claude-sim-1",
                 max_turns: int = 400, on_exchange: Hook | None = None, unchanged_notice: bool | str = False,
                 retries: int = 2, timeout: float = 60.0, session_id: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.workdir = Path(workdir).resolve()
        self.session_id = session_id or str(uuid.uuid4())
        self.metadata = session_metadata or {"user_id": f"user_sim_account__session_{self.session_id}"}
        self.prompt = prompt if prompt is not None else script_prompt(script or "coding", str(self.workdir))
        self.stream, self.model, self.max_turns = stream, model, max_turns
        self.on_exchange, self.retries, self.timeout = on_exchange, retries, timeout
        self.unchanged_notice = unchanged_notice
        self.tools = ToolExecutor(self.workdir, unchanged_notice, subagent=self._subagent)
        self.messages: list[dict[str, Any]] = []
        self.subagents: list[AgentResult] = []
        self._client: httpx.AsyncClient | None = None

    def system(self) -> list[dict[str, Any]]:
        """The two system blocks (identity + instructions with environment), both cache breakpoints."""
        env = f"\n<env>\nPrimary working directory: {self.workdir}\nPlatform: linux\n</env>"
        return [{"type": "text", "text": IDENTITY, "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": INSTRUCTIONS + env, "cache_control": {"type": "ephemeral"}}]

    def body(self) -> dict[str, Any]:
        """The next request body; the trailing cache_control marker sits on the last message block only."""
        messages = self.messages[:-1] + [copy.deepcopy(self.messages[-1])]
        last = messages[-1]
        if isinstance(last["content"], str):
            last["content"] = [{"type": "text", "text": last["content"]}]
        last["content"][-1]["cache_control"] = {"type": "ephemeral"}
        return {"model": self.model, "max_tokens": 32000, "system": self.system(), "tools": TOOLS,
                "messages": messages, "metadata": self.metadata, "stream": self.stream}

    def headers(self) -> dict[str, str]:
        """Claude-Code-like request headers."""
        return {"x-api-key": "dummy", "anthropic-version": "2023-06-01", "anthropic-beta": BETAS,
                "content-type": "application/json", "user-agent": "claude-cli/sim (external, sdk-cli)",
                "x-app": "cli", "x-claude-code-session-id": self.session_id}

    async def _send_once(self, body: dict[str, Any]) -> dict[str, Any]:
        assert self._client is not None
        url = f"{self.base_url}/v1/messages?beta=true"
        if not self.stream:
            resp = await self._client.post(url, json=body, headers=self.headers())
            if resp.status_code != 200:
                raise _Status(resp.status_code, resp.text)
            return resp.json()
        async with self._client.stream("POST", url, json=body, headers=self.headers()) as resp:
            if resp.status_code != 200:
                raise _Status(resp.status_code, (await resp.aread()).decode("utf-8", "replace"))
            parser, asm = SSEParser(), MessageAssembler()
            async for chunk in resp.aiter_bytes():
                for name, data in parser.feed(chunk):
                    asm.add(name, data)
            if not asm.done:
                raise httpx.RemoteProtocolError("stream ended before message_stop")
            return asm.result()

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST one request, retrying 429/5xx/529 and broken streams like the real CLI."""
        for attempt in range(self.retries + 1):
            try:
                return await self._send_once(body)
            except _Status as exc:
                if exc.status not in (408, 429, 500, 502, 503, 504, 529) or attempt == self.retries:
                    raise AgentError(f"upstream answered {exc.status}: {exc.text[:300]}") from None
            except (httpx.TransportError, RuntimeError) as exc:
                if attempt == self.retries:
                    raise AgentError(f"upstream failed: {exc!r}") from exc
            await asyncio.sleep(0.05 * 2 ** attempt)
        raise AgentError("unreachable")

    async def _subagent(self, inp: dict[str, Any]) -> str:
        sub = SimulatedAgent(self.base_url, self.workdir, script=None, prompt=str(inp.get("prompt", "")),
                             stream=self.stream, model=self.model, max_turns=self.max_turns,
                             on_exchange=self.on_exchange, unchanged_notice=self.unchanged_notice,
                             retries=self.retries, timeout=self.timeout)
        result = await sub.run()
        self.subagents.append(result)
        return result.final_text

    async def run(self) -> AgentResult:
        """Loop until the model ends its turn (or `max_turns`); returns the final text and the traffic."""
        self.messages = [{"role": "user", "content": [
            {"type": "text", "text": "<system-reminder>\nThe user works in a simulated session.\n</system-reminder>"},
            {"type": "text", "text": self.prompt}]}]
        requests, responses, final, stop = [], [], "", None
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            self._client = client
            for turn in range(1, self.max_turns + 1):
                body = self.body()
                requests.append(body)
                reply = await self.send(body)
                responses.append(reply)
                content = reply.get("content") or []
                stop = reply.get("stop_reason")
                self.messages.append({"role": "assistant", "content": content})
                uses = [b for b in content if b.get("type") == "tool_use"]
                results = []
                for use in uses if stop == "tool_use" else []:
                    text, err = await self.tools.run(use["name"], use.get("input") or {})
                    results.append({"type": "tool_result", "tool_use_id": use["id"], "content": text,
                                    **({"is_error": True} if err else {})})
                await self._notify(AgentExchange(turn, body, reply, results))
                if not results:
                    final = "\n".join(b.get("text", "") for b in content if b.get("type") == "text")
                    break
                self.messages.append({"role": "user", "content": results})
        self._client = None
        return AgentResult(final, len(responses), requests, responses, stop, self.session_id, self.subagents)

    async def _notify(self, exchange: AgentExchange) -> None:
        if self.on_exchange is None:
            return
        out = self.on_exchange(exchange)
        if inspect.isawaitable(out):
            await out


class _Status(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(status)
        self.status, self.text = status, text


