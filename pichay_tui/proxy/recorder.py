"""Writes a session recording (core/recording/records.py records) to a JSONL file, flushed after every record.

An existing recording is never truncated: each start appends a segment (its own header with its start time)."""
from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import orjson


from .. import __version__
from ..core import recording as rec
from ..core.events import Event
from ..core.model.exchange import ResponseSummary
from ..core.wire.jsonpieces import dumps_in_pieces
from ..core.model.redact import redact_text


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


def _line(record: Mapping[str, Any]) -> bytes:
    """rec.dumps(record), byte for byte; in the writer thread serialized in pieces (no GIL hold for a whole big
    body), on the loop in one call (small records: cheaper)."""
    if threading.current_thread().name == WRITER:
        return dumps_in_pieces(record, option=orjson.OPT_NON_STR_KEYS) + b"\n"
    return rec.dumps(record)


WRITER = "pichay-recorder"


class Recorder:
    """Subscribes to the engine; each record carries the events emitted since the previous record.

    Every engine call is followed by its record with no await in between, so record order is engine order and each
    record's events are exactly those of its call. A request with a big body (`heavy`) is built and serialized by a
    writer thread, and so is every record after it until that thread is idle again: one queue, so the file keeps
    call order; the loop never serializes 50 MB. close() writes everything queued.
    """

    def __init__(self, path: str | os.PathLike, engine: Any, **header: Any) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open_for_append(self.path)
        self._pending: list[Event] = []
        self._unsubscribe = engine.subscribe(self._pending.append)
        self._next_id = 0
        self._queue: queue.Queue[Callable[[], bytes] | None] = queue.Queue()
        self._queued = 0                       # records handed to the writer and not yet written
        self._writer: threading.Thread | None = None
        self._count_lock = threading.Lock()
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
        self._write(_line(rec.header_record(time.time(), config, pichay_version=__version__, **header)))

    def _write(self, data: bytes) -> None:
        if self._f.closed:
            return
        self._f.write(data)
        self._f.flush()

    def _submit(self, build: Callable[[], bytes], heavy: bool = False) -> None:
        """Write the line `build` returns: now, unless it is heavy or the writer still has records queued."""
        if not heavy and not self._queued:
            self._write(build())
            return
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name=WRITER, daemon=True)
            self._writer.start()
        with self._count_lock:
            self._queued += 1
        self._queue.put(build)

    def _write_loop(self) -> None:
        while (build := self._queue.get()) is not None:
            try:
                self._write(build())
            except Exception:  # noqa: BLE001 - the recording must never take the proxy down
                pass
            finally:
                with self._count_lock:
                    self._queued -= 1

    def flush(self) -> None:
        """Wait until every queued record is in the file."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None

    def _drain(self) -> list[Event]:
        out, self._pending[:] = list(self._pending), []
        return out

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def request(self, xid: int, ts: float, method: str, path: str, headers: Mapping[str, str], body: Any,
                outbound: Any, *, heavy: bool = False, **kw: Any) -> None:
        """A request record; a body the recording cannot hold (nested too deep) is recorded without its bodies."""
        events, headers = self._drain(), dict(headers)

        def build() -> bytes:
            try:
                return _line(rec.request_record(xid, ts, method, path, headers, body, outbound, events=events,
                                                delta=self._delta, **kw))
            except Exception as e:  # noqa: BLE001
                failure = "; ".join(x for x in (kw.get("failure"), f"body not recorded: {type(e).__name__}: {e}")
                                    if x)
                return _line(rec.request_record(xid, ts, method, path, headers, None, None, events=events,
                                                delta=self._delta, **{**kw, "failure": failure}))

        self._submit(build, heavy)

    def response(self, xid: int, ts: float, session: str, summary: ResponseSummary, duration_ms: float,
                 failure: str | None = None) -> None:
        events = self._drain()
        self._submit(lambda: _line(rec.response_record(xid, ts, session, summary, duration_ms, events, failure)))

    def command(self, ts: float, command: str, args: Mapping[str, Any], ok: bool, result: Any = None,
                error: str | None = None) -> None:
        events, args = self._drain(), dict(args)
        self._submit(lambda: _line(rec.command_record(ts, command, args, ok, result, error, events)))

    def close(self) -> None:
        """Write what is queued, then close the file."""
        self._unsubscribe()
        self.flush()
        if not self._f.closed:
            self._f.close()
