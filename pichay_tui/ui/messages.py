"""Messages posted up to the app: small past-tense facts; the view refresh one replaces its queued predecessor."""
from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message


@dataclass
class ViewRefreshed(Message):
    """The view model was pushed into the widgets. `kinds`: event kinds since the last refresh; `counts`: all kinds
    seen so far (cumulative, so a refresh that supersedes a queued one loses nothing)."""

    sessions: set[str] = field(default_factory=set)
    kinds: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ViewRefreshed)


@dataclass
class CommandQueued(Message):
    command: str
    session: str
    page: str | None


@dataclass
class CommandRejected(Message):
    command: str
    reason: str


@dataclass
class PageSelected(Message):
    page: str


@dataclass
class OpenDetail(Message):
    page: str


@dataclass
class HostStatus(Message):
    """The proxy/agent/demo host changed: listening, agent started/exited, demo step, errors."""

    text: str
    level: str = "information"


@dataclass
class AgentOutput(Message):
    line: str


@dataclass
class InterceptChanged(Message):
    """Intercept mode was toggled, or a request was held, released or dropped (`kind` says which)."""

    kind: str
    data: dict = field(default_factory=dict)


@dataclass
class UpstreamProblem(Message):
    """The upstream failed a request (connect error, timeout, 4xx/5xx): `info` has session, status, error, path."""

    info: dict = field(default_factory=dict)
