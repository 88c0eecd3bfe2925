"""The pager facade: ingests client requests, produces outbound views, takes responses and operator commands.

Single-threaded and I/O-free: the proxy, the TUI, the recorder and replay all drive this one object.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import orjson

from .. import events as ev
from ..model.blocks import short_id
from ..commands.queue import CommandQueue
from ..commands.registry import COMMANDS
from ..errors import CommandError
from ..cooperative.phantom import place_splice
from ..cooperative.engine_ops import CooperativeMixin
from .state_view import StateMixin
from ..model.config import PagerConfig
from ..events import Event
from ..model.exchange import ResponseSummary
from ..ingest.identity import (agent_signature, client_label, client_session_key, first_message_fp, is_continuation,
                               system_fp)
from ..paging.outbound import build_outbound, pressure_note
from ..model.pages import Kind
from ..paging.pager import Pager
from ..paging.policies import make_policy
from ..paging.policy import PolicyContext
from ..session.session import Session
from ..session.spill import SessionTable
from ..model.backing_store import BackingStore, MemoryStore
from ..model.tokens import TokenCounter
from ..model.tool_classes import SUBAGENT_TOOLS

MAX_SIGNATURES = 32    # agents (system prompt + tool names) whose signature is remembered (see Engine._signature)


@dataclass(slots=True)
class RequestResult:
    """Outcome of one client request: which session, what to send upstream, what happened."""

    session_id: str
    outbound: dict[str, Any]          # the body to send upstream (the client's own body in observe mode)
    changed: bool                     # False when outbound is the client's body unchanged
    events: list[Event] = field(default_factory=list)
    request_no: int = 0
    side: bool = False
    tokens_in: int = 0
    tokens_out: int = 0


class Engine(CooperativeMixin, StateMixin):
    """Owns all sessions; subscribers get every event synchronously, in order."""

    def __init__(self, config: PagerConfig | None = None, store: BackingStore | None = None,
                 clock: Callable[[], float] | None = None, counter: TokenCounter | None = None) -> None:
        self.config = config or PagerConfig()
        self.store = store if store is not None else MemoryStore()
        self.clock = clock or time.time
        self.counter = counter or TokenCounter()
        self.policy = make_policy(self.config.policy)
        self.sessions: SessionTable = SessionTable(self)   # idle sessions may be spilled to a store (spill.py)
        self._by_fp: dict[tuple[str | None, str], str] = {}
        self._by_client: dict[str, list[str]] = {}
        self._signatures: dict[tuple[bytes, tuple[str, ...]], str] = {}    # see _signature
        self._subscribers: list[Callable[[Event], None]] = []
        self._request_hooks: list[Callable[[dict[str, Any], RequestResult], None]] = []
        self._seq = 0
        self._collect: list[Event] | None = None
        self._now = 0.0
        self.side_requests = 0
        self.failures = 0
        self.touched: set[str] = set()      # sessions changed since the last checkpoint
        self.on_change: Callable[[], None] | None = None   # e.g. a persistent store's checkpoint
        self.commands = CommandQueue(self._emit, self._changed)

    # ---- events ----
    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def on_request(self, callback: Callable[[dict[str, Any], "RequestResult"], None]) -> Callable[[], None]:
        """`callback(client body, result)` after each paged (non-side) request; returns an unsubscribe function."""
        self._request_hooks.append(callback)
        return lambda: self._request_hooks.remove(callback) if callback in self._request_hooks else None

    def _emit(self, kind: str, session: Session | None, data: dict[str, Any]) -> None:
        self._seq += 1
        e = Event(kind=kind, session=session.id if session else "", turn=session.turn if session else 0,
                  ts=self._now or self.clock(), data=data, seq=self._seq)
        if session is not None:
            self.touched.add(session.id)
        if self._collect is not None:
            self._collect.append(e)
        for cb in list(self._subscribers):
            cb(e)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def record_failure(self, where: str, error: str, session_id: str = "") -> None:
        """The proxy reports an engine failure it recovered from (fail-open), so it shows on the timeline."""
        self.failures += 1
        s = self.sessions.get(session_id)
        if s:
            s.stats.failures += 1
        self._emit(ev.ENGINE_FAILED, s, {"where": where, "error": error})

    # ---- sessions ----
    def _lookup(self, body: dict[str, Any], ckey: str | None, fp: str) -> tuple[Session | None, str]:
        """The session this request belongs to, if known, and its identity key (first message + agent signature).

        The same first message with another system prompt or tool set is another agent (Claude Code's warm-ups all
        say "Warmup"), unless the request continues that agent's history (a client may add tools mid-conversation).
        """
        key = fp + "|" + self._signature(body)
        sid = self._by_fp.get((ckey, key))
        if sid:
            return self.sessions[sid], key
        messages = body.get("messages") or []
        for (ck, k), sid in self._by_fp.items():
            if ck == ckey and k.split("|", 1)[0] == fp and self.sessions[sid].extended_by(messages):
                return self.sessions[sid], key
        return None, key

    def _signature(self, body: dict[str, Any]) -> str:
        """agent_signature(body), remembered by the system prompt's bytes and the tool names: every request of an
        agent repeats them, and hashing them (cache markers stripped, keys sorted) costs ~10 µs on Claude Code's 7 KB
        system prompt where serializing it to compare costs ~1 µs."""
        try:
            memo_key = (orjson.dumps(body.get("system") or ""),
                        tuple(str(t.get("name")) for t in body.get("tools") or [] if isinstance(t, dict)))
        except (orjson.JSONEncodeError, TypeError):
            return agent_signature(body)
        sig = self._signatures.get(memo_key)
        if sig is None:
            sig = agent_signature(body)
            if len(self._signatures) >= MAX_SIGNATURES:
                self._signatures.clear()
            self._signatures[memo_key] = sig
        return sig

    def _resolve(self, body: dict[str, Any], headers: Mapping[str, str], fp: str) -> Session:
        ckey = client_session_key(body, headers)
        s, key = self._lookup(body, ckey, fp)
        if s is not None:
            self._by_fp[(ckey, key)] = s.id
            return s
        known = self._by_client.get(ckey or "", [])
        if ckey and known and is_continuation(body):
            s = self.sessions[self._main_of(known)]     # auto-compact: same conversation, new epoch
            self._by_fp[(ckey, key)] = s.id
            return s
        sid = "s" + short_id(f"{ckey}|{key}")[1:7]
        parent = self._main_of(known) if known else None
        label = client_label(headers) + (" subagent" if parent else "")
        s = Session(sid, label, self.config, self.counter, self._emit, parent=parent)
        s.first_fp, s.system_fp = fp, system_fp(body)
        self.sessions[sid] = s
        self._by_fp[(ckey, key)] = sid
        if ckey:
            self._by_client.setdefault(ckey, []).append(sid)
        self._emit(ev.SESSION_STARTED, s, {"client": label, "parent": parent, "client_key": bool(ckey)})
        return s

    def _main_of(self, known: list[str]) -> str:
        """The parent for a new conversation under this client id: the first that can spawn subagents, else the
        first (warm-up agents, which cannot spawn any, may arrive before the main conversation). Only resident
        sessions are looked at, so spilled subagents are not brought back just to be ruled out."""
        for sid in known:
            s = dict.get(self.sessions, sid)
            if s is not None and any(s.pages[p].address in SUBAGENT_TOOLS for p in s.header_ids
                   if p in s.pages and s.pages[p].kind is Kind.TOOL_DEF):
                return sid
        return known[0]

    def find_session(self, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Session | None:
        return self._lookup(body, client_session_key(body, headers or {}), first_message_fp(body))[0]

    def session(self, sid: str | None) -> Session:
        if sid:
            s = self.sessions.get(sid)
            if s is None:
                raise CommandError(f"unknown session {sid!r}", 404)
            return s
        if not self.sessions:
            raise CommandError("no sessions yet", 404)
        return max(self.sessions.values(), key=lambda x: x.last_ts)

    # ---- requests ----
    def handle_request(self, body: dict[str, Any], headers: Mapping[str, str] | None = None,
                       path: str = "/v1/messages", now: float | None = None,
                       side: bool | None = None) -> RequestResult:
        headers = headers or {}
        self._now = now if now is not None else self.clock()
        messages = body.get("messages")
        if not isinstance(messages, list) or (messages and not isinstance(messages[0], dict)):
            raise ValueError("request body has no valid 'messages' list")
        if side is None:
            side = not body.get("tools")
        if side:                                  # title generation, quota probes: not part of any page table
            self.side_requests += 1
            return RequestResult("", body, False, side=True)
        self._collect = collected = []
        try:
            fp = first_message_fp(body)          # hashed once: identity and the divergence check share it
            s = self._resolve(body, headers, fp)
            s.request_no += 1
            s.last_ts = self._now
            req = s.request_no
            s.ingest_header(body, req)
            new_results = s.ingest_messages(messages, req, self._now, first_fp=fp)
            if not s.resent:
                s.stats.requests += 1          # an identical re-send (client retry, restart) is not a new request
            if s.pending_splice:
                place_splice(s, messages)
            pager = Pager(s, self.store, self.counter, messages, self._now)
            pager.detect_faults(new_results, messages, req, self._now)
            note = None
            if self.config.mode == "page":
                applied = self.commands.apply_pending(s, pager)
                tokens = self._estimate(s)
                self._set_zone(s, tokens)
                compact = applied.compact
                ctx = PolicyContext(current_turn=s.turn, zone=s.zone, tokens=tokens, window=self.config.zones.window,
                                    age_threshold=self.config.age_threshold, min_size=self.config.min_size,
                                    args=dict(self.config.policy_args), force=compact, session=s,
                                    request_no=req)
                run_policy = compact or not self.config.gate_on_pressure or s.zone in ("involuntary", "aggressive")
                pager.sweep(self.policy if run_policy else _NoPolicy(), ctx, messages, self._now, req,
                            forced=applied.evictions)
                tokens = self._estimate(s)
                self._set_zone(s, tokens)
                if self.config.advisory_note and s.zone != "normal":
                    note = pressure_note(s, tokens, self.config.zones.window,
                                         phantom_tools=self._offers_phantom_tools(body),
                                         cleanup_tags=self.config.cooperative)
                tools = self._outbound_tools(s, body)
                if self.config.dedup_reminders:
                    self._dedup_reminders(s, messages)
                outbound = build_outbound(s, body, note, tools=tools) \
                    if (s.subs or note or tools is not None or s.splices or s.collapses) else body
            else:
                outbound = body
            tokens_in = s.header_tokens + s.resident_tokens + s.evicted_tokens
            tokens_out = s.header_tokens + s.fen.total
            s.last_out_tokens = tokens_out
            self._emit(ev.REQUEST_PAGED, s, {"request_no": req, "tokens_in": tokens_in, "tokens_out": tokens_out,
                                             "changed": outbound is not body, "path": path,
                                             "model": body.get("model") if isinstance(body.get("model"), str) else ""})
            self._changed()
            result = RequestResult(s.id, outbound, outbound is not body, collected, req,
                                   tokens_in=tokens_in, tokens_out=tokens_out)
            for cb in list(self._request_hooks):
                cb(body, result)
            return result
        finally:
            self._collect = None

    def preview(self, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The outbound form of a body for a known session without changing any state (for count_tokens)."""
        s = self.find_session(body, headers)
        if s is None or self.config.mode != "page" or not s.subs:
            return body
        n = len(body.get("messages") or [])
        subs = {mi: v for mi, v in s.subs.items() if mi < n}
        saved, s.subs = s.subs, subs
        try:
            return build_outbound(s, body, use_cache=False)
        finally:
            s.subs = saved

    def _estimate(self, s: Session) -> int:
        out = s.header_tokens + s.fen.total
        usage = s.last_usage
        if usage:
            total = usage.get("input_tokens", 0) + usage.get("cache_read_input_tokens", 0) + \
                usage.get("cache_creation_input_tokens", 0)
            return max(0, total + s.calibration.apply(out - s._tokens_at_usage))
        return s.calibration.apply(out)

    def _set_zone(self, s: Session, tokens: int) -> None:
        zone = self.config.zones.zone_of(tokens)
        if zone != s.zone:
            old, s.zone = s.zone, zone
            self._emit(ev.ZONE_CHANGED, s, {"old": old, "new": zone, "tokens": tokens})

    # ---- responses ----
    def handle_response(self, session_id: str, response: ResponseSummary, now: float | None = None) -> list[Event]:
        self.sessions.leave(session_id)          # first, so no failure below can leave the session pinned in RAM
        s = self.sessions.get(session_id)
        if s is None:
            return []
        self._now = now if now is not None else self.clock()
        self._collect = collected = []
        try:
            usage = response.usage or {}
            if usage and response.status == 200:
                total = usage.get("input_tokens", 0) + usage.get("cache_read_input_tokens", 0) + \
                    usage.get("cache_creation_input_tokens", 0)
                s.calibration.observe(s.last_out_tokens, total)
                keys = ("cache_read_input_tokens", "cache_creation_input_tokens", "input_tokens")
                if s.sweeps and s.sweeps[-1]["request"] == s.request_no:
                    # observed cache cost of the sweep, with the previous response's usage for comparison
                    s.sweeps[-1]["observed"] = {**{k: usage.get(k, 0) for k in keys},
                                                "before": {k: s.last_usage.get(k, 0) for k in keys}}
                s.last_usage, s._tokens_at_usage = dict(usage), s.last_out_tokens
            self._emit(ev.RESPONSE_COMPLETED, s, {"usage": usage, "stop_reason": response.stop_reason,
                                                  "status": response.status, "error": response.error})
            self._changed()
            self.sessions.trim(keep=s.id)
            return collected
        finally:
            self._collect = None

    # ---- commands ----
    def command(self, name: str, **args: Any) -> dict[str, Any]:
        """Validate and queue a named operator command; it applies at the session's next request."""
        if name not in COMMANDS:
            raise CommandError(f"unknown command {name!r}; known: {', '.join(sorted(COMMANDS))}", 404)
        if self.config.mode != "page":
            raise CommandError("the proxy is in observe mode; commands that change the context are disabled")
        s = self.session(args.get("session"))
        self._now = self.clock()
        return self.queue(s, name, **{k: v for k, v in args.items() if k != "session"})

    def queue(self, s: Session, name: str, **args: Any) -> dict[str, Any]:
        """Validate a command against the session now and queue it for the next request."""
        return self.commands.queue(s, name, **args)


class _NoPolicy:
    name = "none"

    def select(self, ctx, candidates):
        return []
