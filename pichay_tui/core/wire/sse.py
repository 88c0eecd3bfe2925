"""Server-sent events: an incremental byte decoder and an encoder (accumulator.py rebuilds the Anthropic message)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

_EOL = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True, frozen=True)
class SSEEvent:
    """One dispatched event; `raw` holds its exact bytes (including the blank line) so a proxy can re-emit it untouched."""

    event: str | None
    data: str
    raw: bytes

    def json(self) -> Any:
        """The data parsed as JSON (raises orjson.JSONDecodeError when it is not JSON)."""
        return orjson.loads(self.data)


class SSEDecoder:
    """Incremental SSE parser: feed bytes split anywhere, get whole events back.

    Bytes that dispatch nothing (comments, stray blank lines, data-less events) are kept as a prefix of the next
    event's `raw`, so the concatenated `raw` of all events reproduces the input stream exactly.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0      # start of the next unparsed line
        self._start = 0    # start of the current event's raw bytes
        self._seen = 0     # no line terminator before here (keeps byte-by-byte feeding linear)
        self._bom_checked = False
        self._reset()

    def _reset(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Add bytes and return the events they complete."""
        self._buf += chunk
        return self._scan(final=False)

    def flush(self) -> list[SSEEvent]:
        """End of stream: a final unterminated line is parsed and a pending event with data is dispatched (lenient)."""
        out = self._scan(final=True)
        if self._pos < len(self._buf):  # last line had no terminator
            out += self._line(bytes(self._buf[self._pos:]), len(self._buf))
        if self._data:
            out += self._line(b"", len(self._buf))
        self._buf.clear()
        self._pos = self._start = self._seen = 0
        self._reset()
        return out

    def _scan(self, final: bool) -> list[SSEEvent]:
        if not self._bom_checked:  # a leading UTF-8 BOM is skipped (kept in raw)
            if len(self._buf) < 3 and _BOM.startswith(bytes(self._buf)) and not final:
                return []
            self._bom_checked = True
            if self._buf.startswith(_BOM):
                self._pos = 3
        out: list[SSEEvent] = []
        if self._buf.find(b"\r", max(self._pos, self._seen)) < 0:     # LF only (Anthropic's form): whole lines by split, no regex
            end = self._buf.rfind(b"\n", max(self._pos, self._seen))
            if end >= 0:
                off = self._pos
                for line in self._buf[self._pos:end].split(b"\n"):
                    off += len(line) + 1
                    out += self._line(bytes(line), off)
                self._pos = end + 1
            self._seen = len(self._buf)
            return self._compact(out)
        while (m := _EOL.search(self._buf, max(self._pos, self._seen))) is not None:
            # A lone CR at the very end may be the first half of CRLF: wait for the next byte.
            if m.group() == b"\r" and m.end() == len(self._buf) and not final:
                self._seen = m.start()
                break
            line = bytes(self._buf[self._pos:m.start()])
            self._pos = m.end()
            out += self._line(line, m.end())
        else:
            self._seen = len(self._buf)
        return self._compact(out)

    def _compact(self, out: list[SSEEvent]) -> list[SSEEvent]:
        if self._start:  # drop consumed bytes so the buffer stays small
            del self._buf[:self._start]
            self._pos -= self._start
            self._seen = max(0, self._seen - self._start)
            self._start = 0
        return out

    def _line(self, line: bytes, end: int) -> list[SSEEvent]:
        if not line:
            if not self._data:
                self._event = None
                return []
            ev = SSEEvent(self._event, "\n".join(self._data), bytes(self._buf[self._start:end]))
            self._start = end
            self._reset()
            return [ev]
        if line.startswith(b"data: "):       # the common forms first (same result as the general rule below)
            self._data.append(line[6:].decode("utf-8", "replace"))
            return []
        if line.startswith(b"event: "):
            self._event = line[7:].decode("utf-8", "replace")
            return []
        if line.startswith(b":"):
            return []
        name, sep, value = line.decode("utf-8", "replace").partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return []


class FieldDecoder:
    """Incremental SSE decoder returning only `(event, data)` pairs, for a side parser that needs no raw bytes.

    Why: SSEDecoder walks the stream line by line with a regex and copies every event's raw bytes; a response
    summary needs neither. Here whole events are cut at the last blank line of what has arrived and split with
    bytes.split, a few Python steps per event. Same pairs as SSEDecoder: a stream with a CR anywhere or a leading
    BOM is handed to an SSEDecoder from that point (every event before it was complete, so no state is lost).
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._seen = 0     # no blank line before here (keeps many small chunks of one event linear)
        self._slow: SSEDecoder | None = None
        self._started = False

    def feed(self, chunk: bytes) -> list[tuple[str | None, str]]:
        """Add bytes and return the `(event, data)` pairs they complete."""
        if self._slow is not None:
            return [(e.event, e.data) for e in self._slow.feed(chunk)]
        if not chunk:
            return []
        self._buf += chunk
        if not self._started:
            self._started = True
            if _BOM.startswith(bytes(self._buf[:3])):
                return self._switch(bom=True)
        if b"\r" in chunk:
            return self._switch(bom=False)
        end = self._buf.rfind(b"\n\n", max(0, self._seen - 1))
        if end < 0:
            self._seen = len(self._buf)
            return []
        out: list[tuple[str | None, str]] = []
        _fields(self._buf[:end + 1].split(b"\n"), out)    # ends with a blank line: nothing is left pending
        del self._buf[:end + 2]
        self._seen = len(self._buf)
        return out

    def flush(self) -> list[tuple[str | None, str]]:
        """End of stream: like SSEDecoder.flush (a final unterminated event with data is dispatched)."""
        if self._slow is not None:
            return [(e.event, e.data) for e in self._slow.flush()]
        out: list[tuple[str | None, str]] = []
        if self._buf:
            _fields(self._buf.split(b"\n") + [b""], out)
        self._buf.clear()
        self._seen = 0
        return out

    def _switch(self, bom: bool) -> list[tuple[str | None, str]]:
        self._slow = SSEDecoder()
        self._slow._bom_checked = not bom     # a BOM counts only at the very start of the stream
        buf, self._buf = bytes(self._buf), bytearray()
        return [(e.event, e.data) for e in self._slow.feed(buf)]


def _fields(lines: list[bytearray] | list[bytes], out: list[tuple[str | None, str]]) -> None:
    """SSEDecoder._line's rules over whole lines (LF-split); a blank line dispatches or resets."""
    event: str | None = None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                out.append((event, "\n".join(data)))
                data = []
            event = None
        elif line.startswith(b"data: "):
            data.append(line[6:].decode("utf-8", "replace"))
        elif line.startswith(b"event: "):
            event = line[7:].decode("utf-8", "replace")
        elif line[0] != 58:                   # not a ":" comment
            name, sep, value = line.decode("utf-8", "replace").partition(":")
            if sep and value.startswith(" "):
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value


def encode_sse(event: str, data: dict[str, Any] | str) -> bytes:
    """Encode one event the way Anthropic does: `event: X\\ndata: {json}\\n\\n`."""
    text = data if isinstance(data, str) else orjson.dumps(data).decode()
    lines = "".join(f"data: {part}\n" for part in text.split("\n"))
    return f"event: {event}\n{lines}\n".encode()
