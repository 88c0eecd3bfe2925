"""Replay inputs: frames (one API call each) from our recordings or the importers' formats.

Imported formats have no tool definitions, so their requests are replayed with `side=False` (otherwise every request
would look like a tool-less side request).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .. import events as ev
from ..model.exchange import Exchange


@dataclass(slots=True)
class Frame:
    """One API call to replay: the request, then the responses/commands that followed it before the next one."""

    index: int
    exchange: Exchange
    side: bool | None = None
    label: str = ""                                   # importer session name or recorded session id
    after: list[tuple[str, Any]] = field(default_factory=list)  # ("response", (req_frame, ResponseSummary, ts)) |
    #                                                              ("command", RecordedCommand)
    live_tokens_out: int = 0                          # the live engine's outbound estimate (recordings only)


@dataclass(frozen=True, slots=True)
class OperatorCommand:
    """A command the operator issued during a replay, kept with the frame it followed so that going back and forward
    recomputes it exactly (it is applied after that frame's recorded responses and commands, as it was live)."""

    ts: float
    command: str
    args: dict[str, Any]


@dataclass(slots=True)
class ReplaySource:
    """Frames plus what the input format could not provide."""

    frames: list[Frame]
    format: str
    path: str = ""
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)


def frames_from_exchanges(exchanges: Iterable[Exchange] | dict[str, list[Exchange]], side: bool | None = None
                          ) -> list[Frame]:
    """One frame per exchange; a {session: [exchanges]} mapping is merged by timestamp (stable within a session)."""
    if isinstance(exchanges, dict):
        items = [(ex.ts, n, i, name, ex) for n, (name, exs) in enumerate(exchanges.items())
                 for i, ex in enumerate(exs)]
        if all(t for t, *_ in items):
            items.sort(key=lambda x: (x[0], x[1], x[2]))
        seq = [(name, ex) for _, _, _, name, ex in items]
    else:
        seq = [("", ex) for ex in exchanges]
    frames = []
    for name, ex in seq:
        f = Frame(len(frames), ex, side, name)
        if ex.response is not None:
            f.after.append(("response", (f.index, ex.response, ex.ts)))
        frames.append(f)
    return frames


def frames_from_recording(path: str | Path, warnings: list[str] | None = None
                          ) -> tuple[list[Frame], dict[str, Any]]:
    """Frames of a pichay recording: the requests the live engine processed, with what followed each in order."""
    from .reader import RecordedCommand, RecordedRequest, RecordedResponse, read_header, read_recording

    frames: list[Frame] = []
    by_id: dict[int, int] = {}
    for step in read_recording(path, warnings):
        if isinstance(step, RecordedRequest):
            if not step.engine:
                continue
            f = Frame(len(frames), step.exchange, step.side, step.session)
            f.live_tokens_out = next((int(e.data.get("tokens_out") or 0) for e in step.events
                                      if e.kind == ev.REQUEST_PAGED), 0)
            by_id[step.id] = f.index
            frames.append(f)
        elif isinstance(step, RecordedResponse):
            if step.id in by_id and frames:
                frames[-1].after.append(("response", (by_id.pop(step.id), step.response, step.ts)))
        elif isinstance(step, RecordedCommand):
            if step.ok and frames:
                frames[-1].after.append(("command", step))
    return frames, read_header(path)


def materialize(path: str | Path) -> Path:
    """A .xz/.gz file decompressed once into a temp cache (keyed by name, size and mtime); other paths unchanged."""
    path = Path(path)
    if path.suffix not in (".xz", ".gz") or not path.is_file():
        return path
    import gzip
    import lzma
    import tempfile

    st = path.stat()
    cache = Path(tempfile.gettempdir()) / "pichay-replay-cache"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{path.stem}.{st.st_size}.{int(st.st_mtime)}{Path(path.stem).suffix or '.jsonl'}"
    if not target.exists():
        import zlib

        from .importers import UnsupportedFormat

        opener = lzma.open if path.suffix == ".xz" else gzip.open
        tmp = target.with_suffix(f".{os.getpid()}.part")
        try:
            with opener(path, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
        except (EOFError, lzma.LZMAError, gzip.BadGzipFile, zlib.error) as e:
            tmp.unlink(missing_ok=True)
            what = "truncated" if isinstance(e, EOFError) else "corrupt"
            raise UnsupportedFormat(f"{path}: {what} {path.suffix[1:]} data ({e})") from None
        tmp.replace(target)
    return target


def load_source(path: str | Path) -> ReplaySource:
    """Open a recording or an importable file/folder (.xz/.gz too) as frames (raises UnsupportedFormat/RecordingError)."""
    from .importers import detect_format, load_exchanges

    from .importers import UnsupportedFormat
    from ..errors import RecordingError

    shown, path = str(path), materialize(path)

    def named(text: str) -> str:                       # messages name the user's file, not the decompressed copy
        return text.replace(str(path), shown).replace(path.name, Path(shown).name) if str(path) != shown else text

    try:
        fmt = detect_format(path)
        if fmt == "recording":
            warnings: list[str] = []
            frames, header = frames_from_recording(path, warnings)
            return ReplaySource(frames, "recording", shown, header=header, warnings=[named(w) for w in warnings])
        result = load_exchanges(path)
    except (UnsupportedFormat, RecordingError) as e:
        raise type(e)(named(str(e))) from None
    return ReplaySource(frames_from_exchanges(result.sessions, side=False), result.format, shown,
                        list(result.missing), [named(w) for w in result.warnings])
