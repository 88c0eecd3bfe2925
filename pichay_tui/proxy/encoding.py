"""The bytes that go upstream when the pager changed a body: the outbound spliced into the client's own bytes, so
only what the pager changed is re-serialized (and a resent history reuses the last splice's work per session)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson

from ..core.wire.splice import Memo, splice

MAX_MEMOS = 16          # sessions whose last spliced messages are kept (see core/wire/splice.Memo)


def splice_or_dump(raw: bytes, body: Any, new: Any) -> bytes:
    """A body that must differ from the client's (a continuation): spliced when possible, else serialized."""
    try:
        return splice(raw, body, new)
    except Exception:  # noqa: BLE001
        return orjson.dumps(new)


class OutboundEncoder:
    """Splices outbound bodies into the client's bytes, keeping one splice memo per recent session."""

    def __init__(self) -> None:
        self._memos: OrderedDict[str, Memo] = OrderedDict()   # per session, most recent last (bounded)

    def _memo(self, sid: str) -> Memo | None:
        if not sid:
            return None
        memo = self._memos.pop(sid, None) or Memo()
        self._memos[sid] = memo
        while len(self._memos) > MAX_MEMOS:
            self._memos.popitem(last=False)
        return memo

    def encode(self, raw: bytes, body: Any, outbound: Any, sid: str = "",
               layout: dict | None = None) -> tuple[bytes, str | None]:
        """The outbound bytes spliced into the client's (only what the pager changed is re-serialized; `layout`:
        what the parse found, see ParseCache.layout); on any failure the client's own bytes and the reason (fail
        open)."""
        try:
            return splice(raw, body, outbound, self._memo(sid), layout), None
        except Exception as e:  # noqa: BLE001 - SpliceError, an unserializable value, a bug: forward unchanged
            return raw, f"outbound not built, original bytes sent: {type(e).__name__}: {e}"
