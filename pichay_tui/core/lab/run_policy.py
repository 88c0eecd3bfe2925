"""One input replayed under one configuration: a report row per session (sizes, faults, the token-turn cost against
the clairvoyant bound, and dollars under the cache model)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .. import events as ev
from .cache_cost import CacheLedger, new_ledger, observe, request_rows, session_spend, validation
from .cache_model import Calibration
from .cache_shape import ShapeBuilder
from .clairvoyant import DEFAULT_FAULT_OVERHEAD, Bound, CostMeter
from .prices import PRICES, Price
from .totals import pct, ratio, thrash, totals_of
from ..model.config import PagerConfig
from ..model.tokens import TokenCounter
from ..recording.replayer import Replayer, ReplaySource


@dataclass(slots=True)
class _Acc:
    requests: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    pin_events: int = 0
    label: str = ""


@dataclass(slots=True)
class CacheReference:
    """What every policy run of one input shares: the calibration, the keep-everything ledger and the cache bound."""

    cals: dict[str, Calibration]
    ledger: CacheLedger | None = None
    bound_usd: dict[str, dict[str, Any]] = field(default_factory=dict)
    builder: ShapeBuilder | None = None
    as_sent: CacheLedger | None = None       # what produced the recorded usage (validation); None: ledger is it


def run_policy(source: ReplaySource, config: PagerConfig, *, counter: TokenCounter | None = None,
               bound: Bound | None = None, fault_overhead: int = DEFAULT_FAULT_OVERHEAD,
               progress: Callable[[int], None] | None = None, cache: CacheReference | None = None,
               prices: dict[str, Price] | None = None) -> dict[str, Any]:
    """Replay one input under one configuration; returns {"policy", "sessions": [...], "totals": {...}}."""
    rp = Replayer(source, config, counter=counter, snapshot_every=1 << 30, keep_outbound=True)
    meter = CostMeter(rp.engine, rp.counter, fault_overhead)
    ledger = new_ledger((cache.builder if cache else None) or ShapeBuilder(rp.counter), source, prices)
    accs: dict[str, _Acc] = {}
    pins: dict[str, int] = {}
    rp.subscribe(lambda e: pins.__setitem__(e.session, pins.get(e.session, 0) + 1)
                 if e.kind == ev.PAGE_PINNED else None)
    side = 0
    while not rp.at_end:
        r = rp.step()
        observe(ledger, r, r.outbound, source.frames[r.index])
        r.outbound = None
        if progress:
            progress(1)
        if r.side or not r.session_id:
            side += 1
            continue
        a = accs.get(r.session_id)
        if a is None:
            a = accs[r.session_id] = _Acc(label=source.frames[r.index].label or r.session_id)
        a.requests += 1
        a.bytes_before += r.bytes_in
        a.bytes_after += r.bytes_out
        a.tokens_before += r.tokens_in
        a.tokens_after += r.tokens_out
    eng = rp.engine
    cals = cache.cals if cache else ledger.calibrations()
    ledger.bill(cals)
    sent = ledger.sessions()
    ref = cache.ledger.sessions() if cache and cache.ledger else {}
    sent_live = (cache.as_sent or cache.ledger).sessions() if cache and (cache.as_sent or cache.ledger) else {}
    sessions = []
    for sid, a in accs.items():
        s = eng.sessions[sid]
        st = s.stats
        cost = meter.cost(sid)
        bcost = bound.sessions.get(sid) if bound else None
        keys: dict[str, int] = {}
        for f in s.faults:
            keys[f.key] = keys.get(f.key, 0) + 1
        refaulted = sum(1 for n in keys.values() if n >= 2)
        is_thrash, why = thrash(st.faults, st.evictions, refaulted)
        results = meter.results.get(sid, [])
        sessions.append({
            "name": a.label, "session": sid, "parent": s.parent, "client": s.client, "source": source.path,
            "format": source.format, "policy": eng.policy.name,
            "request_count": a.requests, "turns": s.turn, "pages": len(results), "pages_total": len(s.pages),
            "evictions": st.evictions, "gc": st.gc, "faults": st.faults, "major_faults": st.major_faults,
            "minor_faults": st.minor_faults,
            "fault_rate": round(st.faults / st.evictions, 4) if st.evictions else 0.0,
            "pins": sum(1 for p in s.resident_results.values() if p.pinned), "pin_events": pins.get(sid, 0),
            "releases": st.releases, "cleared_by_client": st.cleared_by_client,
            "bytes_before": a.bytes_before, "bytes_after": a.bytes_after,
            "reduction_pct": pct(a.bytes_before, a.bytes_after),
            "tokens_before": a.tokens_before, "tokens_after": a.tokens_after,
            "token_reduction_pct": pct(a.tokens_before, a.tokens_after),
            "token_turns_kept": cost.keep, "sweeps": st.sweeps,
            "predicted_invalidated_tokens": st.predicted_invalidated_tokens,
            "thrash": is_thrash, "thrash_reason": why, "refaulted_addresses": refaulted,
            "cost": cost.to_dict(), "bound": bcost.to_dict() if bcost else None,
            "cost_ratio": ratio(cost.total, bcost.total) if bcost else None,
            "side_requests": 0,
        })
        _add_cache(sessions[-1], sent.get(sid, []), ref.get(sid), cals.get(sid) or cals.get("") or Calibration(),
                   cache.bound_usd.get(sid) if cache else None, sent_live.get(sid), prices)
    totals = totals_of(sessions)
    totals["side_requests"] = side
    return {"policy": eng.policy.name, "sessions": sessions, "totals": totals}


def _add_cache(s: dict[str, Any], reqs: list, ref: list | None, cal: Calibration,
               bound_usd: dict[str, Any] | None, live: list | None = None,
               prices: dict[str, Price] | None = None) -> None:
    """Dollars under the cache model beside the token metric: spend, per-request usage, validation, bound."""
    spend = session_spend(reqs, s["cost"]["faults"], cal, prices or PRICES)
    s["cost"]["usd"] = spend["usd"]
    s["context_tokens_end"] = spend["context_tokens_end"]
    s["spend"] = {**spend, "calibration": cal.to_dict()}
    if ref is not None:
        no_pager = sum(r.bill.usd for r in ref if r.bill)
        s["spend"]["no_pager_usd"] = round(no_pager, 6)
        s["spend"]["saving_usd"] = round(no_pager - spend["usd"], 6)
        s["cache_validation"] = validation(live if live is not None else ref)
    s["requests"] = request_rows(reqs, {r.n: r for r in ref} if ref else None)
    if s.get("bound") is not None and bound_usd is not None:
        s["bound"]["usd"] = bound_usd["usd"]
        s["usd_ratio"] = ratio(spend["usd"], bound_usd["usd"])
