"""Parse `<memory_cleanup>` blocks in assistant text into cleanup operations (grammar: docs/cleanup-grammar.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

OPEN_TAG = "<memory_cleanup>"
CLOSE_TAG = "</memory_cleanup>"
OPS = ("drop", "summarize", "anchor", "release", "collapse")
_ALIASES = {"summarise": "summarize", "pin": "anchor"}
_OPEN_RE = re.compile(re.escape(OPEN_TAG), re.I)
_CLOSE_RE = re.compile(re.escape(CLOSE_TAG), re.I)
_QUOTES = {'"': '"', "\u201c": "\u201d", "'": "'", "\u2018": "\u2019"}
_CLOSERS = {'"': '"\u201d', "\u201c": "\u201d\"", "'": "'\u2019", "\u2018": "\u2019'"}
_STMT = re.compile(r"\s*(?:[-*\u2022]\s+|\d+[.)]\s+)?([A-Za-z_]+)\s*(?::|\s|$)\s*(.*)", re.S)
_IDS_THEN_TEXT = re.compile(r"((?:block:)?[^\s,\"'\u201c\u2018]+(?:\s*,\s*(?:block:)?[^\s,\"'\u201c\u2018]+)*)\s*(.*)",
                            re.S | re.I)
_RANGE = re.compile(r"(?:turns?\b\s*:?\s*)?(\d+)\s*(?:(?:-|\u2013|\u2014|\.\.|to\b)\s*(\d+))?\s*(.*)", re.S | re.I)
_TRAILING_NOTE = re.compile(r"\s*(?:#.*|\(.*\))$", re.S)


@dataclass(slots=True)
class CleanupOp:
    """One operation: `op` in OPS, its targets (ids or paths), summary text, and a turn range for collapse."""

    op: str
    targets: list[str] = field(default_factory=list)
    text: str | None = None
    turn_range: tuple[int, int] | None = None


@dataclass(slots=True)
class CleanupError:
    """A statement that was reported and not applied."""

    line: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.line!r}"


def _split_statements(body: str) -> list[str]:
    """Split on newlines, and on `;` outside quotes (an apostrophe inside a word does not open or close a quote)."""
    out: list[str] = []
    for line in body.splitlines():
        cur: list[str] = []
        closer: str | None = None
        for i, ch in enumerate(line):
            prev = line[i - 1] if i else " "
            nxt = line[i + 1] if i + 1 < len(line) else " "
            if closer is None:
                if ch == ";":
                    out.append("".join(cur))
                    cur = []
                    continue
                if ch in _QUOTES and (ch == '"' or prev.isspace() or prev in ":,("):
                    closer = _CLOSERS[ch]
            elif ch in closer and prev != "\\" and (ch in '"\u201d' or not nxt.isalnum()):
                closer = None
            cur.append(ch)
        out.append("".join(cur))
    return [s.strip() for s in out if s.strip() and not s.strip().startswith(("#", "//"))]


def _unquote(s: str) -> str | None:
    """Strip one pair of enclosing quotes; None when a quote opens but never closes; unquoted text is kept."""
    s = s.strip()
    if s and s[0] in _QUOTES:
        if len(s) < 2 or s[-1] not in _CLOSERS[s[0]]:
            return None
        return s[1:-1].replace('\\"', '"').strip()
    return s


def _target(tok: str) -> str:
    tok = (_unquote(tok) or "").strip().rstrip(":")
    return tok[6:].strip() if tok[:6].lower() == "block:" else tok


def _parse_statement(stmt: str) -> CleanupOp | CleanupError:
    m = _STMT.fullmatch(stmt)
    op = _ALIASES.get(m.group(1).lower(), m.group(1).lower()) if m else ""
    if op not in OPS:
        return CleanupError(stmt, "unknown operation")
    rest = m.group(2).strip()  # type: ignore[union-attr]
    if op in ("drop", "anchor"):
        toks = [_target(t) for t in re.split(r"[\s,]+", _TRAILING_NOTE.sub("", rest)) if t]
        if not toks or any(not t or set(t) & set(_QUOTES) for t in toks):
            return CleanupError(stmt, f"{op} needs one or more block ids")
        return CleanupOp(op, toks)
    if op == "release":
        entries = [e for e in (s.strip() for s in re.split(r",\s*", rest)) if e]
        toks = [_target(t) for e in entries for t in ([e] if e[0] in _QUOTES else e.split())]
        if not toks or not all(toks):
            return CleanupError(stmt, "release needs ids or paths, comma-separated")
        return CleanupOp(op, toks)
    if op == "summarize":
        m2 = _IDS_THEN_TEXT.fullmatch(rest)
        if not m2:
            return CleanupError(stmt, "summarize needs a block id and a quoted summary")
        text = _unquote(re.sub(r"^[\s:=>\-\u2013\u2014]+", "", m2.group(2)))
        if not text:
            return CleanupError(stmt, "summarize needs a non-empty summary (quotes must be closed)")
        return CleanupOp(op, [_target(t) for t in m2.group(1).split(",")], text)
    m3 = _RANGE.fullmatch(rest)
    if not m3:
        return CleanupError(stmt, "collapse needs `turns N-M \"summary\"`")
    lo, hi = int(m3.group(1)), int(m3.group(2) or m3.group(1))
    text = _unquote(re.sub(r"^[\s:=>\-\u2013\u2014]+", "", m3.group(3)))
    if lo > hi:
        return CleanupError(stmt, f"collapse range {lo}-{hi} is reversed")
    if not text:
        return CleanupError(stmt, "collapse needs a non-empty summary (quotes must be closed)")
    return CleanupOp(op, [], text, (lo, hi))


def parse_cleanup_body(body: str) -> tuple[list[CleanupOp], list[CleanupError]]:
    """Parse the inside of one block; never raises, every rejected statement becomes a CleanupError."""
    ops: list[CleanupOp] = []
    errors: list[CleanupError] = []
    for stmt in _split_statements(body):
        res = _parse_statement(stmt)
        (ops if isinstance(res, CleanupOp) else errors).append(res)  # type: ignore[arg-type]
    return ops, errors


def _partial_open(s: str) -> int:
    """Length of the longest suffix of `s` that is a proper prefix of the opening tag (case-insensitive)."""
    for k in range(min(len(s), len(OPEN_TAG) - 1), 0, -1):
        if s[-k:].lower() == OPEN_TAG[:k]:
            return k
    return 0


class CleanupTextFilter:
    """Streaming remover of cleanup blocks: feed text pieces, get back the visible text, collect ops at the end.

    Only a suffix that could still become the opening tag is held back; the block itself and one newline right
    after its closing tag are removed.
    """

    def __init__(self) -> None:
        self.ops: list[CleanupOp] = []
        self.errors: list[CleanupError] = []
        self._pending = ""           # possible start of an opening tag
        self._body: str | None = None  # inside a block: its text so far
        self._skip_nl = False
        self.blocks = 0

    @property
    def inside(self) -> bool:
        """True while inside an unclosed block."""
        return self._body is not None

    def feed(self, text: str) -> str:
        """Return the text that is visible now."""
        out: list[str] = []
        s = text
        while True:
            if self._body is not None:
                start = max(0, len(self._body) - len(CLOSE_TAG) + 1)
                self._body += s
                m = _CLOSE_RE.search(self._body, start)
                if m is None:
                    return "".join(out)
                self._add(*parse_cleanup_body(self._body[:m.start()]))
                s, self._body, self._skip_nl = self._body[m.end():], None, True
            if self._skip_nl and s:
                s, self._skip_nl = (s[1:] if s[0] == "\n" else s), False
            s, self._pending = self._pending + s, ""
            m = _OPEN_RE.search(s)
            if m is not None:
                out.append(s[:m.start()])
                s, self._body = s[m.end():], ""
                self.blocks += 1
                continue
            k = _partial_open(s)
            out.append(s[:len(s) - k])
            self._pending = s[len(s) - k:]
            return "".join(out)

    def finish(self) -> str:
        """End of text: release a held partial tag; an unclosed block keeps only its newline-terminated lines."""
        if self._body is not None:
            done, _, tail = self._body.rpartition("\n")
            self._add(*parse_cleanup_body(done))
            note = f"; its unterminated last line was ignored: {tail.strip()!r}" if tail.strip() else ""
            self.errors.append(CleanupError(OPEN_TAG, "block never closed" + note))
            self._body = None
        out, self._pending = self._pending, ""
        return out

    def _add(self, ops: list[CleanupOp], errors: list[CleanupError]) -> None:
        self.ops += ops
        self.errors += errors


def strip_cleanup_blocks(text: str) -> tuple[str, list[CleanupOp], list[CleanupError]]:
    """Remove every cleanup block from `text`; return the clean text, the parsed ops and the parse errors."""
    f = CleanupTextFilter()
    clean = f.feed(text) + f.finish()
    return clean, f.ops, f.errors
