"""The exceptions the core raises and front ends report, in one leaf module (it imports nothing, so no cycles)."""
from __future__ import annotations


class StartupError(RuntimeError):
    """The proxy cannot start as asked (an unusable state store, a recording path it must not write); the message is
    one line that says what is wrong and what to do."""


class CommandError(Exception):
    """A command that cannot run, with an HTTP-like status: 400 bad arguments, 404 unknown, 409 not now."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


class RecordingError(ValueError):
    """Not a pichay recording, or one from a newer version of pichay-tui."""


class SpliceError(ValueError):
    """The original bytes do not have the shape the parsed body says they have."""


class FilterError(ValueError):
    """A filter expression that does not parse; `pos` is the character offset of the problem."""

    def __init__(self, message: str, pos: int = 0) -> None:
        super().__init__(message)
        self.pos = pos


class UnsupportedFormat(Exception):
    """A file the importers cannot read: unknown format, corrupt content, or a format read elsewhere."""
