"""Live spend from engine events: what the session has cost so far and what it would have cost without the pager.

Built from events only (request_paged, sweep_applied, client_cleared, response_completed), so live and replay show the
same figures. A request-level version of `cache_model`: each request reads the previous prompt from the cache unless
the TTL expired or the prefix changed, and writes the rest. Our prompt changes where a sweep changed a block (the
re-write runs from that block, or over every message when it lies beyond the 20-block lookback); the client's own
prompt (no pager) changes only when the client rewrites its history. Both are priced with the model's table and scaled
by the ratio of reported to estimated prompt tokens. "Spend so far" is the observed bill where the upstream reported
usage, the model's prediction otherwise; the saving compares the two predictions, so it never mixes measured and
modelled numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import events as ev
from ..events import UNSET, given
from .cache_model import LOOKBACK, TTL_5M, USAGE_KEYS
from .prices import PRICES, Price, price_for


@dataclass(slots=True)
class SessionSpend:
    usd_observed: float = 0.0            # Σ billed usage reported by the upstream (what we actually sent)
    usd_predicted: float = 0.0           # Σ model bill of what we sent
    usd_no_pager: float = 0.0            # Σ model bill of what the client sent
    usd_unobserved: float = 0.0          # Σ model bill of our requests the upstream has not reported on
    last_pred: float = 0.0
    requests: int = 0
    observed_requests: int = 0
    calibrated: int = 0                  # responses whose usage calibrated the scale
    last_ts: float | None = None
    prev_in: int = 0
    prev_out: int = 0
    scale: float = 1.0                   # reported / estimated prompt tokens
    model: str = ""
    rewrite: int = 0                     # tokens a sweep of the open request re-writes
    client_rewrote: bool = False
    last_rewrite_usd: float = 0.0
    last_tokens_out: int = 0
    rewrite_whole: bool = False          # the open request's change lies beyond the lookback window
    per_request_rewrite: dict[int, tuple[int, bool, float]] = field(default_factory=dict)  # n -> (tokens, whole, $)

    @property
    def spend(self) -> float:
        """Observed where the upstream reported usage, predicted for the other requests."""
        return self.usd_observed + self.usd_unobserved

    @property
    def saving(self) -> float:
        return self.usd_no_pager - self.usd_predicted


class SpendMeter:
    """Feed it engine events; read `sessions[sid]`."""

    def __init__(self, prices: dict[str, Price] | None = None, ttl: float = TTL_5M, observed_is_ours: bool = True
                 ) -> None:
        self.prices = prices or PRICES
        self.ttl = ttl
        # live: reported usage bills what we sent. A replay under another configuration than the recording's gets
        # the recording's usage (it billed other bytes): it then only calibrates, spend stays the model's.
        self.observed_is_ours = observed_is_ours
        self.sessions: dict[str, SessionSpend] = {}

    def price(self, s: SessionSpend) -> Price:
        return price_for(s.model, self.prices)

    def rewrite_usd(self, tokens: int, model: str = "", scale: float = 1.0) -> float:
        """What re-writing `tokens` costs beyond reading them: (5-minute write − read) price."""
        p = price_for(model, self.prices)
        return tokens * scale * (p.write_5m - p.read) / 1e6

    def feed(self, e: ev.Event) -> None:
        if not e.session:
            return
        s = self.sessions.setdefault(e.session, SessionSpend())
        p = e.payload
        if isinstance(p, (ev.SweepApplied, ev.CollapseApplied, ev.ToolsStubbed)):
            after = given(getattr(p, "blocks_after", UNSET))          # only the pager's sweep sends these two
            total = given(getattr(p, "messages_tokens", UNSET))
            tokens = int(given(p.predicted_invalidated_tokens) or 0)
            if after is not None and total is not None and after > LOOKBACK:
                tokens = int(total)
                s.rewrite_whole = True
            s.rewrite = max(s.rewrite, tokens)
        elif isinstance(p, ev.ClientCleared):
            s.client_rewrote = True
        elif isinstance(p, ev.RequestPaged):
            self._request(s, e)
        elif isinstance(p, ev.ResponseCompleted):
            usage = given(p.usage) or {}
            if any(isinstance(usage.get(k), int) for k in USAGE_KEYS):
                total = sum(int(usage.get(k) or 0) for k in USAGE_KEYS)
                if s.last_tokens_out and total:
                    r = total / s.last_tokens_out
                    if 0.2 <= r <= 5.0:
                        s.scale = r if not s.calibrated else 0.7 * s.scale + 0.3 * r
                p = self.price(s)
                if self.observed_is_ours:
                    s.usd_observed += p.usd(usage)
                    s.usd_unobserved -= s.last_pred
                    s.last_pred = 0.0
                else:
                    s.usd_unobserved += int(usage.get("output_tokens") or 0) * p.output / 1e6
                out = int(usage.get("output_tokens") or 0) * p.output / 1e6
                s.usd_predicted += out          # output is the same with or without the pager
                s.usd_no_pager += out
                s.observed_requests += 1 if self.observed_is_ours else 0
                s.calibrated += 1

    def _request(self, s: SessionSpend, e: ev.Event) -> None:
        paged = e.payload
        if given(paged.model):
            s.model = str(paged.model)
        p = self.price(s)
        tin, tout = int(given(paged.tokens_in) or 0), int(given(paged.tokens_out) or 0)
        cold = s.last_ts is None or e.ts - s.last_ts > self.ttl or s.client_rewrote
        if tin < p.min_cacheable / max(s.scale, 1e-9):
            read_np = read = 0
        elif cold:
            read_np = read = 0
        else:
            read_np = min(s.prev_in, tin)
            read = max(0, min(s.prev_out, tout) - s.rewrite)
        k = s.scale / 1e6
        s.usd_no_pager += (read_np * p.read + (tin - read_np) * p.write_5m) * k
        pred = (read * p.read + (tout - read) * p.write_5m) * k
        s.usd_predicted += pred
        s.usd_unobserved += pred
        s.last_pred = pred
        s.last_rewrite_usd = self.rewrite_usd(s.rewrite, s.model, s.scale) if s.rewrite and not cold else 0.0
        if s.last_rewrite_usd:
            s.per_request_rewrite[int(given(paged.request_no) or 0)] = (int(s.rewrite * s.scale), s.rewrite_whole,
                                                                            s.last_rewrite_usd)
        s.requests += 1
        s.prev_in, s.prev_out, s.last_ts, s.last_tokens_out = tin, tout, e.ts, tout
        s.rewrite, s.client_rewrote, s.rewrite_whole = 0, False, False

    def summary(self, sid: str | None) -> dict[str, Any] | None:
        s = self.sessions.get(sid or "")
        if s is None or not s.requests:
            return None
        return {"spend_usd": s.spend, "observed": s.observed_requests > 0, "no_pager_usd": s.usd_no_pager,
                "saving_usd": s.saving, "last_rewrite_usd": s.last_rewrite_usd}


def usage_is_ours(source: Any, config: Any) -> bool:
    """Does the usage recorded in `source` bill what a replay under `config` sends? A recording: when the replay runs
    the recording's own configuration. Logs of proxies that forwarded the client's bytes: when nothing is paged."""
    from .cache_cost import live_config

    live = live_config(source)
    if live is None:
        return getattr(config, "policy", "") == "none" or getattr(config, "mode", "") == "observe"
    keys = ("mode", "policy", "age_threshold", "min_size", "fault_pinning", "policy_args", "zones", "trim_tools")
    return all(getattr(live, k, None) == getattr(config, k, None) for k in keys)
