"""One request through ingest → faults → pending commands → sweep → outbound, and its response back."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .. import events as ev
from ..commands.queue import CommandQueue
from ..cooperative.phantom import place_splice
from ..cooperative.service import Cooperation
from ..events import Event
from ..ingest.identity import first_message_fp
from ..ingest.messages import Ingestor
from ..model.backing_store import BackingStore
from ..model.config import PagerConfig
from ..model.exchange import ResponseSummary
from ..model.tokens import TokenCounter
from ..paging.outbound import build_outbound, pressure_note
from ..paging.pager import Pager
from ..paging.policies import KeepAllPolicy
from ..paging.policy import Policy, PolicyContext
from ..session.session import Session
from .bus import EventBus
from .directory import SessionDirectory

USAGE_INPUT_KEYS = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


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


class RequestPath:
    """Turns a client request into its outbound body and a response into the session's usage bookkeeping."""

    def __init__(self, config: PagerConfig, store: BackingStore, counter: TokenCounter, bus: EventBus,
                 directory: SessionDirectory, commands: CommandQueue, coop: Cooperation) -> None:
        self.config, self.store, self.counter, self.bus = config, store, counter, bus
        self.directory, self.commands, self.coop = directory, commands, coop
        self.ingestor = Ingestor(counter)

    def handle_request(self, body: dict[str, Any], headers: Mapping[str, str], path: str,
                       policy: Policy) -> RequestResult:
        """Page one (non-side) request of a known or new session; `bus.now` is the request's time."""
        now, messages = self.bus.now, body["messages"]
        with self.bus.collecting() as collected:
            fp = first_message_fp(body)          # hashed once: identity and the divergence check share it
            s = self.directory.resolve(body, headers, fp)
            s.request_no += 1
            s.last_ts = now
            req = s.request_no
            self.ingestor.ingest_header(s, body, req)
            new_results = self.ingestor.ingest_messages(s, messages, req, now, first_fp=fp)
            if not s.index.resent:
                s.stats.requests += 1          # an identical re-send (client retry, restart) is not a new request
            if s.out.pending_splice:
                place_splice(s, messages)
            pager = Pager(s, self.store, self.counter, messages, now)
            pager.detect_faults(new_results, messages, req, now)
            outbound = self._page(s, body, pager, policy) if self.config.mode == "page" else body
            tokens_in = s.tokens.header_tokens + s.tokens.resident_tokens + s.tokens.evicted_tokens
            tokens_out = s.tokens.header_tokens + s.tokens.fen.total
            s.usage.last_out_tokens = tokens_out
            self.bus.emit(ev.RequestPaged(request_no=req, tokens_in=tokens_in, tokens_out=tokens_out,
                                          changed=outbound is not body, path=path,
                                          model=body.get("model") if isinstance(body.get("model"), str)
                                          else ""), s)
            return RequestResult(s.id, outbound, outbound is not body, collected, req,
                                 tokens_in=tokens_in, tokens_out=tokens_out)

    def _page(self, s: Session, body: dict[str, Any], pager: Pager, policy: Policy) -> dict[str, Any]:
        """Apply queued commands, sweep, and build the outbound body (the client's own when nothing changed)."""
        cfg, messages, req = self.config, body["messages"], s.request_no
        applied = self.commands.apply_pending(s, pager)
        tokens = self.estimate(s)
        self.set_zone(s, tokens)
        ctx = PolicyContext(current_turn=s.turn, zone=s.zone, tokens=tokens, window=cfg.zones.window,
                            age_threshold=cfg.age_threshold, min_size=cfg.min_size, args=dict(cfg.policy_args),
                            force=applied.compact, session=s, request_no=req)
        run_policy = applied.compact or not cfg.gate_on_pressure or s.zone in ("involuntary", "aggressive")
        pager.sweep(policy if run_policy else KeepAllPolicy(), ctx, messages, self.bus.now, req,
                    forced=applied.evictions)
        tokens = self.estimate(s)
        self.set_zone(s, tokens)
        note = None
        if cfg.advisory_note and s.zone != "normal":
            note = pressure_note(s, tokens, cfg.zones.window, phantom_tools=self.coop.offers_phantom_tools(body),
                                 cleanup_tags=cfg.cooperative)
        tools = self.coop.outbound_tools(s, body)
        if cfg.dedup_reminders:
            self.coop.dedup_reminders(s, messages)
        if s.out.subs or note or tools is not None or s.out.splices or s.collapses:
            return build_outbound(s, body, note, tools=tools)
        return body

    def preview(self, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The outbound form of a body for a known session without changing any state (for count_tokens)."""
        s = self.directory.find(body, headers)
        if s is None or self.config.mode != "page" or not s.out.subs:
            return body
        n = len(body.get("messages") or [])
        subs = {mi: v for mi, v in s.out.subs.items() if mi < n}
        saved, s.out.subs = s.out.subs, subs
        try:
            return build_outbound(s, body, use_cache=False)
        finally:
            s.out.subs = saved

    def estimate(self, s: Session) -> int:
        """The session's context size in tokens: the last observed usage plus the calibrated change since."""
        out = s.tokens.header_tokens + s.tokens.fen.total
        usage = s.usage.last_usage
        if usage:
            total = sum(usage.get(k, 0) for k in USAGE_INPUT_KEYS)
            return max(0, total + s.usage.calibration.apply(out - s.usage.tokens_at_usage))
        return s.usage.calibration.apply(out)

    def set_zone(self, s: Session, tokens: int) -> None:
        zone = self.config.zones.zone_of(tokens)
        if zone != s.zone:
            old, s.zone = s.zone, zone
            self.bus.emit(ev.ZoneChanged(old=old, new=zone, tokens=tokens), s)

    def handle_response(self, s: Session, response: ResponseSummary) -> list[Event]:
        """Calibrate the token estimate against the upstream's usage and note the sweep's observed cache cost."""
        with self.bus.collecting() as collected:
            usage = response.usage or {}
            if usage and response.status == 200:
                s.usage.calibration.observe(s.usage.last_out_tokens, sum(usage.get(k, 0) for k in USAGE_INPUT_KEYS))
                keys = ("cache_read_input_tokens", "cache_creation_input_tokens", "input_tokens")
                if s.sweeps and s.sweeps[-1]["request"] == s.request_no:
                    # observed cache cost of the sweep, with the previous response's usage for comparison
                    s.sweeps[-1]["observed"] = {**{k: usage.get(k, 0) for k in keys},
                                                "before": {k: s.usage.last_usage.get(k, 0) for k in keys}}
                s.usage.last_usage, s.usage.tokens_at_usage = dict(usage), s.usage.last_out_tokens
            self.bus.emit(ev.ResponseCompleted(usage=usage, stop_reason=response.stop_reason,
                                               status=response.status, error=response.error), s)
            return collected
