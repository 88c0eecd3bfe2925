"""Errors that stop a front end from starting, each carrying the one line a user needs (no traceback)."""
from __future__ import annotations


class StartupError(RuntimeError):
    """The proxy cannot start as asked (an unusable state store, a recording path it must not write); the message is
    one line that says what is wrong and what to do."""
