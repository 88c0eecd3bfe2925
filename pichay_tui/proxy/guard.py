"""Who may drive the control API: a bearer token for commands, and Host/Origin checks on every /_pichay/ route.

Why: the control API listens on a port every web page the user has open can reach. A browser sends a cross-site
`POST` with `Content-Type: text/plain` or a form without a preflight, and DNS rebinding makes an attacker's name
resolve to 127.0.0.1 so its page can read our answers. So commands need a secret no web page can know (the token,
printed at start) sent in a header a cross-site request cannot set without a preflight we never grant, a JSON
content type (not one of the CORS-safelisted ones), a Host that names the bound address, and no foreign Origin.
"""
from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Iterable, Mapping

import orjson
from starlette.responses import Response

TOKEN_ENV = "PICHAY_CONTROL_TOKEN"
TOKEN_FILE = "control-token"
MIN_TOKEN_CHARS = 32
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def new_token() -> str:
    """43 URL-safe characters (256 random bits)."""
    return secrets.token_urlsafe(32)


def write_token_file(state_dir: str | os.PathLike, token: str) -> Path:
    """STATE_DIR/control-token, mode 0600 from creation on (never world-readable, even for a moment)."""
    path = Path(state_dir) / TOKEN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)                  # an existing file keeps its old mode otherwise
        os.write(fd, token.encode() + b"\n")
    finally:
        os.close(fd)
    return path


def _refuse(status: int, message: str, **headers: str) -> Response:
    return Response(orjson.dumps({"ok": False, "error": message}), status, media_type="application/json",
                    headers=headers or None)


class ControlGuard:
    """Checks a request to /_pichay/: `refuse(request)` returns the error Response, or None to let it through."""

    def __init__(self, token: str, allow_hosts: Iterable[str] = ()) -> None:
        self.token = token
        self._token = token.encode()
        self.extra_hosts = tuple(h.strip().lower() for h in allow_hosts if h.strip())
        self.hosts: frozenset[str] = frozenset()

    def bind(self, host: str, port: int) -> None:
        """The bound address is known: `127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`, the bound host, and the
        --allow-host names (with this port, or as given when they name one)."""
        bound = f"[{host}]" if ":" in host else host
        names = {*LOOPBACK_NAMES, bound.lower()}
        allowed = {f"{n}:{port}" for n in names}
        for h in self.extra_hosts:
            allowed.add(h if h.rsplit(":", 1)[-1].isdigit() and not h.endswith("]") else f"{h}:{port}")
        if port == 80:                        # a browser leaves the default port out of Host
            allowed |= {a.rsplit(":", 1)[0] for a in allowed}
        self.hosts = frozenset(allowed)

    def _host_ok(self, headers: Mapping[str, str]) -> bool:
        return headers.get("host", "").strip().lower() in self.hosts

    def _origin_ok(self, headers: Mapping[str, str]) -> bool:
        """No Origin (a CLI, curl), or our own; `null` (sandboxed frames, file://) and every other site are refused.
        Sec-Fetch-Site catches what browsers send without an Origin (no-cors GETs)."""
        site = headers.get("sec-fetch-site", "").lower()
        if site and site not in ("same-origin", "none"):
            return False
        origin = headers.get("origin")
        if origin is None:
            return True
        scheme, _, rest = origin.strip().lower().partition("://")
        return scheme == "http" and rest in self.hosts

    def from_web_page(self, headers: Mapping[str, str]) -> bool:
        """A browser request made by a page of another origin (what a hostile page, or a rebound name, sends)."""
        return not self._origin_ok(headers)

    def token_ok(self, headers: Mapping[str, str]) -> bool:
        """Bearer token or X-Pichay-Token, compared in constant time."""
        given = headers.get("x-pichay-token")
        if given is None:
            scheme, _, value = headers.get("authorization", "").partition(" ")
            given = value.strip() if scheme.lower() == "bearer" else ""
        return hmac.compare_digest(given.encode("utf-8", "replace"), self._token)

    def refuse(self, request, command: bool = False) -> Response | None:
        headers = request.headers
        if not self._host_ok(headers):
            return _refuse(403, f"Host {headers.get('host', '')!r} is not this proxy's address (DNS rebinding is "
                                "refused; pass --allow-host NAME to reach it by another name)")
        if not self._origin_ok(headers):
            return _refuse(403, f"cross-site request refused (Origin {headers.get('origin', '-')!r}, "
                                f"Sec-Fetch-Site {headers.get('sec-fetch-site', '-')!r})")
        if not command:
            return None
        if not self.token_ok(headers):
            return _refuse(401, "missing or wrong control token: send 'Authorization: Bearer TOKEN' (serve prints "
                                "'pichay-tui control token: TOKEN'; with --state-dir it is in STATE_DIR/control-token)",
                           **{"www-authenticate": 'Bearer realm="pichay-tui"'})
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            return _refuse(415, f"commands take Content-Type: application/json (got {media or 'none'!r})")
        return None
