"""How the scripted model checks tool results it depends on and words its verifiable final answers."""
from __future__ import annotations

import re

from .view import RequestView, block_text

NUMBERED_RE = re.compile(r"^\s*(\d+)(?:\t|→)(.*)$")
MARKER_RE = re.compile(r'PICHAY_MARKER = "([\w-]+)"')
FOOTER_RE = re.compile(r"end of (\S+) -- PICHAY_MARKER ([\w-]+)")
UNCHANGED_RE = re.compile(r"file unchanged since (?:your )?last read", re.I)
ANSWER_RE = re.compile(r"^SIM-ANSWER: (.*)$", re.M)


def read_status(text: str | None, is_error: bool = False) -> tuple[str, str | None]:
    """Classify a Read result: ('intact', marker) | ('unchanged'|'missing'|'error'|'garbled', None).

    Intact means the numbered lines (if any) count up from 1 without gaps, the header marker line is there,
    and the footer names the same marker (so truncation, reordering or a pager handle are all detected).
    """
    if text is None:
        return "missing", None
    if is_error:
        return "error", None
    if UNCHANGED_RE.search(text):
        return "unchanged", None
    body = []
    numbers = []
    for line in text.splitlines():
        m = NUMBERED_RE.match(line)
        if m:
            numbers.append(int(m.group(1)))
            body.append(m.group(2))
    if numbers and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return "garbled", None
    content = "\n".join(body) if numbers else text
    head = MARKER_RE.search(content)
    foot = FOOTER_RE.search(content)
    if not head or not foot:
        return ("missing" if len(text) < 600 else "garbled"), None
    if head.group(1) != foot.group(2) and not head.group(1).startswith(foot.group(2) + "-"):
        return "garbled", None
    return "intact", head.group(1)


def read_marker(view: RequestView, step: int, idx: int = 0) -> str:
    """Marker seen in the Read at (step, idx); an 'unchanged' notice falls back to an earlier Read of the file."""
    text, err = view.result_text_at(step, idx)
    status, marker = read_status(text, err)
    if status == "intact":
        return marker or "?"
    if status == "unchanged":
        calls = view.calls_at(step)
        path = (calls[idx].get("input") or {}).get("file_path") if idx < len(calls) else None
        for earlier in range(step - 1, -1, -1):
            for j, call in enumerate(view.calls_at(earlier)):
                if call.get("name") == "Read" and (call.get("input") or {}).get("file_path") == path:
                    st, mk = read_status(*view.result_text_at(earlier, j))
                    if st == "intact":
                        return mk or "?"
        return "MISSING"
    return status.upper()


def tool_status(view: RequestView, step: int, idx: int = 0) -> str:
    """'ok', 'error' or 'MISSING' for a non-Read tool call (an Edit, a Write)."""
    text, err = view.result_text_at(step, idx)
    if text is None:
        return "MISSING"
    return "error" if err else "ok"


def find_in_result(view: RequestView, step: int, pattern: str, idx: int = 0) -> str:
    """First group of `pattern` in the result at (step, idx), or 'MISSING'."""
    text, _ = view.result_text_at(step, idx)
    m = re.search(pattern, text or "")
    return m.group(1) if m else "MISSING"


def visible_markers(view: RequestView) -> list[str]:
    """Every marker value present anywhere in the request's tool results (informational)."""
    found: set[str] = set()
    for res in view.results.values():
        found.update(MARKER_RE.findall(block_text(res.get("content"))))
    return sorted(found)


def answer_line(text: str) -> str | None:
    """The `SIM-ANSWER: ...` payload of a final answer, if any."""
    m = ANSWER_RE.search(text or "")
    return m.group(1).strip() if m else None


def block_text_of_step(view: RequestView, step: int) -> str:
    """Joined text of every result at `step` ('' when gone)."""
    return "\n".join(t for t, _ in (view.result_text_at(step, i) for i in range(len(view.calls_at(step)))) if t)
