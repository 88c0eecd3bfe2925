"""Which session a request belongs to: the identity indexes over the session table."""
from __future__ import annotations

from typing import Any, Mapping

import orjson

from .. import events as ev
from ..errors import CommandError
from ..ingest.identity import agent_signature, client_label, client_session_key, first_message_fp, is_continuation, \
    system_fp
from ..model.blocks import MEMO, short_id
from ..model.config import PagerConfig
from ..model.pages import Kind
from ..model.tokens import TokenCounter
from ..model.tool_classes import SUBAGENT_TOOLS
from ..session.session import Session
from ..session.spill import SessionTable
from .bus import EventBus

MAX_SIGNATURES = 32    # agents (system prompt + tool names) whose signature is remembered (see _signature)


class SessionDirectory:
    """Finds or starts the session of a request by its first message, agent signature and client session id."""

    def __init__(self, config: PagerConfig, counter: TokenCounter, bus: EventBus, table: SessionTable) -> None:
        self.config, self.counter, self.bus, self.table = config, counter, bus, table
        self.by_fp: dict[tuple[str | None, str], str] = {}    # (client key, first message|signature) -> session
        self.by_client: dict[str, list[str]] = {}             # client key -> its sessions, oldest first
        self._signatures: dict[tuple[bytes, tuple[str, ...]], str] = {}

    def _lookup(self, body: dict[str, Any], ckey: str | None, fp: str) -> tuple[Session | None, str]:
        """The session this request belongs to, if known, and its identity key (first message + agent signature).

        The same first message with another system prompt or tool set is another agent (Claude Code's warm-ups all
        say "Warmup"), unless the request continues that agent's history (a client may add tools mid-conversation).
        """
        key = fp + "|" + self._signature(body)
        sid = self.by_fp.get((ckey, key))
        if sid:
            return self.table[sid], key
        messages = body.get("messages") or []
        for (ck, k), sid in self.by_fp.items():
            if ck == ckey and k.split("|", 1)[0] == fp and self.table[sid].extended_by(messages):
                return self.table[sid], key
        return None, key

    def _signature(self, body: dict[str, Any]) -> str:
        """agent_signature(body), remembered by the system prompt's bytes and the tool names: every request of an
        agent repeats them, and hashing them (cache markers stripped, keys sorted) costs ~10 µs on Claude Code's 7 KB
        system prompt where serializing it to compare costs ~1 µs."""
        system, tools = body.get("system") or "", body.get("tools")
        seen = MEMO.get(tools, "signature") if isinstance(tools, list) else None   # the same parsed objects again
        if seen is not None and seen[0] is system:
            return seen[1]
        try:
            memo_key = (orjson.dumps(system), tuple(str(t.get("name")) for t in tools or [] if isinstance(t, dict)))
        except (orjson.JSONEncodeError, TypeError):
            return agent_signature(body)
        sig = self._signatures.get(memo_key)
        if sig is None:
            sig = agent_signature(body)
            if len(self._signatures) >= MAX_SIGNATURES:
                self._signatures.clear()
            self._signatures[memo_key] = sig
        if isinstance(tools, list):
            MEMO.put(tools, "signature", (system, sig), len(memo_key[0]) + 64 * len(tools))
        return sig

    def resolve(self, body: dict[str, Any], headers: Mapping[str, str], fp: str) -> Session:
        """The request's session; a new one (announced by SESSION_STARTED) when no known one matches."""
        ckey = client_session_key(body, headers)
        s, key = self._lookup(body, ckey, fp)
        if s is not None:
            self.by_fp[(ckey, key)] = s.id
            return s
        known = self.by_client.get(ckey or "", [])
        if ckey and known and is_continuation(body):
            s = self.table[self._main_of(known)]     # auto-compact: same conversation, new epoch
            self.by_fp[(ckey, key)] = s.id
            return s
        sid = "s" + short_id(f"{ckey}|{key}")[1:7]
        parent = self._main_of(known) if known else None
        label = client_label(headers) + (" subagent" if parent else "")
        s = Session(sid, label, self.config, self.bus.emit, parent=parent)
        s.index.first_fp, s.index.system_fp = fp, system_fp(body)
        self.table[sid] = s
        self.by_fp[(ckey, key)] = sid
        if ckey:
            self.by_client.setdefault(ckey, []).append(sid)
        self.bus.emit(ev.SessionStarted(client=label, parent=parent, client_key=bool(ckey)), s)
        return s

    def _main_of(self, known: list[str]) -> str:
        """The parent for a new conversation under this client id: the first that can spawn subagents, else the
        first (warm-up agents, which cannot spawn any, may arrive before the main conversation). Only resident
        sessions are looked at, so spilled subagents are not brought back just to be ruled out."""
        for sid in known:
            s = dict.get(self.table, sid)
            if s is not None and any(s.pages[p].address in SUBAGENT_TOOLS for p in s.tokens.header_ids
                   if p in s.pages and s.pages[p].kind is Kind.TOOL_DEF):
                return sid
        return known[0]

    def find(self, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Session | None:
        """The known session of a request, without starting one."""
        return self._lookup(body, client_session_key(body, headers or {}), first_message_fp(body))[0]

    def known_id(self, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> str | None:
        """The id of the request's session by its exact identity key, without bringing a spilled one back."""
        return self.by_fp.get((client_session_key(body, headers or {}),
                               first_message_fp(body) + "|" + self._signature(body)))

    def get(self, sid: str | None) -> Session:
        """A session by id, or the most recently active one; CommandError (404) when there is none."""
        if sid:
            s = self.table.get(sid)
            if s is None:
                raise CommandError(f"unknown session {sid!r}", 404)
            return s
        if not self.table:
            raise CommandError("no sessions yet", 404)
        return max(self.table.values(), key=lambda x: x.last_ts)

    def checkpoint_index(self) -> dict[str, Any]:
        """The identity indexes as JSON-able data (see Checkpointer)."""
        return {"by_fp": [[k[0], k[1], v] for k, v in self.by_fp.items()], "by_client": self.by_client}

    def restore_index(self, data: Mapping[str, Any]) -> None:
        self.by_fp = {(a, b): v for a, b, v in data.get("by_fp", [])}
        self.by_client = {k: list(v) for k, v in (data.get("by_client") or {}).items()}
