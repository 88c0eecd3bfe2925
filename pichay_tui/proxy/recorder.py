"""Writes a session recording (core/recording.py records) to a JSONL file, flushed after every record.

An existing recording is never truncated: each start appends a segment (its own header with its start time)."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Mapping

from .. import __version__
from ..core import recording as rec
from ..core.events import Event
from ..core.exchange import ResponseSummary
from ..core.redact import redact_text


class RecordingRefused(OSError):
    """--record names an existing file that is not a pichay recording: we never write into someone else's file."""


def check_appendable(path: str | os.PathLike) -> None:
    """Refuse, before anything starts, a --record path we must not write: a directory, or a file that is not ours."""
    p = Path(path)
    if p.is_dir():
        raise RecordingRefused(f"--record {p}: is a directory (give a file path)")
    if p.is_file() and p.stat().st_size and not rec.is_recording(p):
        raise RecordingRefused(f"--record {p}: the file exists and is not a pichay recording; "
                               "refusing to write into it (choose another path)")


def open_for_append(path: Path):
    """Open for appending a new segment; an earlier run's truncated last line is ended so the new header starts a
    line of its own (the reader skips that fragment). Never truncates."""
    check_appendable(path)
    f = open(path, "ab+")
    try:
        size = f.seek(0, os.SEEK_END)
        if size:
            f.seek(size - 1)
            if f.read(1) != b"\n":
                f.write(b"\n")
    except BaseException:
        f.close()
        raise
    return f


class Recorder:
    """Subscribes to the engine; each record carries the events emitted since the previous record.

    Every engine call is followed by its record with no await in between, so record order is engine order and each
    record's events are exactly those of its call.
    """

    def __init__(self, path: str | os.PathLike, engine: Any, **header: Any) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open_for_append(self.path)
        self._pending: list[Event] = []
        self._unsubscribe = engine.subscribe(self._pending.append)
        self._next_id = 0
        self._delta = rec.BodyDelta()          # bodies stored against the session's previous request
        cfg = engine.config
        config = {"mode": cfg.mode, "policy": cfg.policy, "age_threshold": cfg.age_threshold,
                  "min_size": cfg.min_size, "zones": {"window": cfg.zones.window, "advisory": cfg.zones.advisory,
                                                      "involuntary": cfg.zones.involuntary,
                                                      "aggressive": cfg.zones.aggressive},
                  "advisory_note": cfg.advisory_note, "gate_on_pressure": cfg.gate_on_pressure,
                  "fault_pinning": cfg.fault_pinning, "policy_args": dict(cfg.policy_args),
                  "tool_classes": dict(cfg.tool_classes)}
        header = {k: redact_text(v) if isinstance(v, str) else v for k, v in header.items()}   # ?key= in a URL
        self._write(rec.header_record(time.time(), config, pichay_version=__version__, **header))

    def _write(self, record: Mapping[str, Any]) -> None:
        if self._f.closed:
            return
        self._f.write(rec.dumps(record))
        self._f.flush()

    def _drain(self) -> list[Event]:
        out, self._pending[:] = list(self._pending), []
        return out

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def request(self, xid: int, ts: float, method: str, path: str, headers: Mapping[str, str], body: Any,
                outbound: Any, **kw: Any) -> None:
        self._write(rec.request_record(xid, ts, method, path, headers, body, outbound, events=self._drain(),
                                       delta=self._delta, **kw))

    def response(self, xid: int, ts: float, session: str, summary: ResponseSummary, duration_ms: float,
                 failure: str | None = None) -> None:
        self._write(rec.response_record(xid, ts, session, summary, duration_ms, self._drain(), failure))

    def command(self, ts: float, command: str, args: Mapping[str, Any], ok: bool, result: Any = None,
                error: str | None = None) -> None:
        self._write(rec.command_record(ts, command, args, ok, result, error, self._drain()))

    def close(self) -> None:
        self._unsubscribe()
        if not self._f.closed:
            self._f.close()
