"""What may reach a file we write: headers and URLs with their secrets taken out (recordings, logs, the store).

Why a rule on names, not a list: clients invent headers (`x-goog-api-key`, `x-stainless-*-token`, vendor cookies),
and a list of the ones we know lets the next one through. Any header whose name contains one of SECRET_WORDS is
dropped; the query parameters in SECRET_PARAMS are masked wherever a URL is written.
"""
from __future__ import annotations

import functools
import hashlib
import re
from typing import Iterable, Mapping

SECRET_WORDS = ("key", "token", "secret", "auth", "cookie", "session")
SECRET_PARAMS = ("key", "api_key", "apikey", "api-key", "access_token", "token")
MASK = "[redacted]"
_PARAM_RE = re.compile(r"([?&;](?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r")=)[^&#\s\"']*",
                       re.IGNORECASE)
_USERINFO_RE = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s\"']+@", re.IGNORECASE)
PSEUDONYM_PREFIX = "h:"


def is_secret_header(name: str) -> bool:
    low = name.lower()
    return any(w in low for w in SECRET_WORDS)


def safe_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-cased headers without any whose name contains key, token, secret, auth, cookie or session."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k.lower(): v for k, v in items if not is_secret_header(k)}


def redact_text(text: str) -> str:
    """Mask `?key=`/`api_key=`/... query values and `user:password@` in any URLs inside `text`."""
    return _USERINFO_RE.sub(r"\1" + MASK + "@", _PARAM_RE.sub(r"\1" + MASK, text))


@functools.lru_cache(maxsize=1024)     # every request of a session names it again
def pseudonym(value: str) -> str:
    """A stable stand-in for an identifier we must match on but never write (a client's session id)."""
    if value.startswith(PSEUDONYM_PREFIX):
        return value
    return PSEUDONYM_PREFIX + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:24]


SECRET_OPTIONS = ("--control-token",)


def redact_argv(argv: list[str]) -> list[str]:
    """A command line fit for a log: the values of secret options (`--control-token T`, `--control-token=T`) masked."""
    out, mask_next = [], False
    for a in argv:
        if mask_next:
            out.append(MASK)
            mask_next = False
        elif a in SECRET_OPTIONS:
            out.append(a)
            mask_next = True
        elif a.split("=", 1)[0] in SECRET_OPTIONS and "=" in a:
            out.append(a.split("=", 1)[0] + "=" + MASK)
        else:
            out.append(redact_text(a))
    return out
