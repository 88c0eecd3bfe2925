"""Recognises a client's "file unchanged" answer to a re-read by what it says, not by one exact phrase.

Clients that track reads (Claude Code) answer a re-read of an unchanged file with a short notice instead of the
content, and every build words it differently ("File unchanged since last read…", "Wasted call — file unchanged
since your last Read…", sometimes inside <system-reminder>). When the earlier result is one of our handles, that
notice points the model at nothing, so the pager must serve the stored content in its place. A notice is short, is
not file content (no numbered lines), says the content is the same / not modified, and refers to the file or an
earlier read. Errors never qualify.
"""
from __future__ import annotations

import re
from typing import Any

from .blocks import result_text

NOTICE_MAX_CHARS = 600
_TAGS = re.compile(r"</?system-reminder>", re.I)
_NUMBERED = re.compile(r"^\s*\d+(?:\t|→)", re.M)          # Read output: "     1\tcode" or "1→code"
_VERB = r"(?:chang(?:e|ed)|modif(?:y|ied)|alter(?:ed)?|updated?|edit(?:ed)?|touched|rewritten|written|differ)"
_SAME = re.compile(
    r"\bun(?:changed|modified|altered|edited|touched)\b"
    r"|\bidentical\b|\bsame\s+(?:as|content|contents|file|text|version|bytes)\b"
    r"|(?:\bnot|n't|\bnever)\s+(?:been\s+|yet\s+been\s+)?" + _VERB + r"\b"
    r"|\bno\s+(?:changes|modifications|differences|edits)\b"
    r"|\bstill\s+(?:current|the\s+same|valid|up[\s-]to[\s-]date|accurate)\b"
    r"|\b(?:up[\s-]to[\s-]date|matches)\b", re.I)
_REFERS = re.compile(r"\b(?:file|files|contents?|read|reads|reading|re-?read|earlier|previous(?:ly)?|last|before|"
                     r"prior|tool_result|result|output|version|copy)\b", re.I)


def notice_text(content: Any) -> str | None:
    """The notice's words (reminder tags removed) if `content` reads as an "unchanged" notice, else None."""
    text = result_text(content)
    if len(text) > NOTICE_MAX_CHARS or _NUMBERED.search(text):
        return None
    words = " ".join(_TAGS.sub(" ", text).split())
    if not words or not _SAME.search(words) or not _REFERS.search(words):
        return None
    return words


def is_unchanged_notice(content: Any, is_error: bool = False) -> bool:
    """True when a tool result says "same content as your earlier read" instead of carrying the content."""
    return not is_error and notice_text(content) is not None
