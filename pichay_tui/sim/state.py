"""State of the fake upstream: configuration, recorded requests, the simulated cache and one-shot fault knobs."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request

from .usage import PromptCache

REDACT = {"x-api-key", "authorization"}


class SimulatedReset(Exception):
    """Raised inside a response stream to make the server drop the connection mid-stream."""


@dataclass
class Faults:
    """One-shot fault knobs, consumed by the next `/v1/messages` request(s)."""

    fail_status: int | None = None  # answer the next `fail_count` requests with this status (e.g. 500, 529)
    fail_count: int = 0
    reset_after_events: int | None = None  # drop the connection after N SSE events, for `reset_count` requests
    reset_count: int = 0
    delay: float = 0.0  # extra delay before the next response only

    def update(self, d: dict[str, Any]) -> None:
        """Apply a `/_sim/control` body; `{"clear": true}` resets everything first."""
        if d.get("clear"):
            self.__init__()  # type: ignore[misc]
        for key in ("fail_status", "fail_count", "reset_after_events", "reset_count", "delay"):
            if key in d:
                setattr(self, key, d[key])
        if self.fail_status and not self.fail_count:
            self.fail_count = 1
        if self.reset_after_events is not None and not self.reset_count:
            self.reset_count = 1


@dataclass
class SimState:
    """Everything the fake upstream keeps: configuration, recorded requests, cache and faults."""

    script: str = "coding"
    workdir: str | None = None
    latency: float = 0.0
    chunk_delay: float = 0.0
    record_path: Path | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    cache: PromptCache = field(default_factory=PromptCache)
    faults: Faults = field(default_factory=Faults)

    def record(self, request: Request, body: Any) -> dict[str, Any]:
        """Remember one received request (and append it to the JSONL file, if configured)."""
        entry = {"n": len(self.requests) + 1, "t": time.time(), "method": request.method,
                 "path": request.url.path, "query": request.url.query,
                 "headers": {k: ("<redacted>" if k in REDACT else v) for k, v in request.headers.items()},
                 "body": body}
        self.requests.append(entry)
        if self.record_path:
            with open(self.record_path, "ab") as fh:
                fh.write(orjson.dumps(entry) + b"\n")
        return entry

    def message_bodies(self) -> list[dict[str, Any]]:
        """Bodies of the `/v1/messages` requests received so far."""
        return [r["body"] for r in self.requests if r["path"] == "/v1/messages"]
