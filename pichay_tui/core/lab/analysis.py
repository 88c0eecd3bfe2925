"""Headless analysis: replay inputs under one or more policies and build per-session and total reports.

Every number comes from replaying the input through a fresh Engine (the live code path), never from the input's own
annotations. Sizes: `bytes_*` is len(orjson.dumps(messages)) of what the client sent vs what we would send, summed
over requests (the reference's measure); `tokens_*` are the engine's estimates of the same. The cost columns use the
metric of `core/lab/clairvoyant.py` and are reported against the clairvoyant bound of the same input.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .. import events as ev
from .cache_bound import cache_bound
from .cache_cost import (CacheLedger, as_sent_ledger, live_config, new_ledger, observe, reference_pass, request_rows,
                         session_spend, validation)
from .cache_model import Calibration, ShapeBuilder
from .prices import PRICES, Price
from .clairvoyant import DEFAULT_FAULT_OVERHEAD, Bound, CostMeter
from ..model.config import PagerConfig
from ..recording.replayer import Replayer, ReplaySource, load_source
from ..model.tokens import TokenCounter

TOTAL_KEYS = ("requests", "evictions", "gc", "faults", "fault_rate", "bytes_before", "bytes_after", "reduction_pct",
              "tokens_before", "tokens_after")
SUM_KEYS = ("request_count", "pages", "evictions", "gc", "faults", "major_faults", "minor_faults", "pins", "pin_events",
            "bytes_before", "bytes_after", "tokens_before", "tokens_after", "token_turns_kept",
            "predicted_invalidated_tokens", "sweeps", "cleared_by_client", "side_requests")
THRASH_MIN_FAULTS = 3


def pct(before: int, after: int) -> float:
    return round(100.0 * (before - after) / before, 1) if before else 0.0


def ratio(cost: int, bound: int) -> float | None:
    return round(cost / bound, 3) if bound else None


@dataclass(slots=True)
class _Acc:
    requests: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    pin_events: int = 0
    label: str = ""


def thrash(faults: int, evictions: int, refaulted: int) -> tuple[bool, str]:
    """Thrashing: at least 3 faults and either half the paged evictions fault back or an address faulted twice."""
    rate = faults / evictions if evictions else 0.0
    if faults >= THRASH_MIN_FAULTS and (rate >= 0.5 or refaulted):
        why = f"{rate:.0%} of paged evictions faulted back" if rate >= 0.5 else \
            f"{refaulted} address(es) faulted more than once"
        return True, why
    return False, ""


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


def totals_of(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    t: dict[str, Any] = {k: sum(s.get(k, 0) for s in sessions) for k in SUM_KEYS}
    t["sessions"] = len(sessions)
    t["requests"] = t["request_count"]
    t["fault_rate"] = round(t["faults"] / t["evictions"], 4) if t["evictions"] else 0.0
    t["reduction_pct"] = pct(t["bytes_before"], t["bytes_after"])
    t["token_reduction_pct"] = pct(t["tokens_before"], t["tokens_after"])
    cost = {k: sum(s["cost"][k] for s in sessions) for k in ("keep", "handles", "faults", "fault_events", "total")}
    cost["usd"] = round(sum(s["cost"].get("usd", 0.0) for s in sessions), 6)
    t["cost"] = cost
    t["context_tokens_end"] = sum(s.get("context_tokens_end", 0) for s in sessions)
    if all("no_pager_usd" in s.get("spend", {}) for s in sessions) and sessions:
        t["no_pager_usd"] = round(sum(s["spend"]["no_pager_usd"] for s in sessions), 6)
        t["saving_usd"] = round(t["no_pager_usd"] - cost["usd"], 6)
    if all(s.get("bound") for s in sessions) and sessions:
        b = {k: sum(s["bound"][k] for s in sessions) for k in ("keep", "handles", "faults", "fault_events", "total")}
        if all("usd" in s["bound"] for s in sessions):
            b["usd"] = round(sum(s["bound"]["usd"] for s in sessions), 6)
            t["usd_ratio"] = ratio(cost["usd"], b["usd"])
        t["bound"] = b
        t["cost_ratio"] = ratio(cost["total"], b["total"])
    else:
        t["bound"], t["cost_ratio"] = None, None
    t["thrash_sessions"] = sum(1 for s in sessions if s.get("thrash"))
    return t


@dataclass(slots=True)
class Analysis:
    """Reports for several inputs under several policies (the first policy is the primary one)."""

    policies: list[str]
    inputs: list[dict[str, Any]] = field(default_factory=list)    # per input: path, format, missing, warnings
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)   # policy -> per-input run reports

    def sessions(self, policy: str | None = None) -> list[dict[str, Any]]:
        return [s for run in self.runs[policy or self.policies[0]] for s in run["sessions"]]

    def totals(self, policy: str | None = None) -> dict[str, Any]:
        t = totals_of(self.sessions(policy))
        t["side_requests"] = sum(r["totals"]["side_requests"] for r in self.runs[policy or self.policies[0]])
        return t

    def bound_total(self, index: int | None = None) -> dict[str, Any] | None:
        runs = self.runs[self.policies[0]] if index is None else [self.runs[self.policies[0]][index]]
        sess = [s for r in runs for s in r["sessions"]]
        if not sess or not all(s.get("bound") for s in sess):
            return None
        out = {k: sum(s["bound"][k] for s in sess) for k in ("keep", "handles", "faults", "fault_events", "total")}
        if all("usd" in s["bound"] for s in sess):
            out["usd"] = round(sum(s["bound"]["usd"] for s in sess), 6)
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"policy": self.policies[0], "sessions": self.sessions(), "totals": self.totals(),
                               "inputs": self.inputs}
        if len(self.policies) > 1:
            out["compare"] = {p: {"sessions": self.sessions(p), "totals": self.totals(p)} for p in self.policies}
        return out


def analyze(paths: Iterable[str], policies: list[str], base: PagerConfig | None = None, *,
            bound: bool = True, fault_overhead: int = DEFAULT_FAULT_OVERHEAD,
            counter: TokenCounter | None = None, progress: Callable[[int], None] | None = None,
            sources: dict[str, ReplaySource] | None = None,
            prices: dict[str, Price] | None = None) -> Analysis:
    """Analyze each path under each policy (plus one keep-everything pass per input for the bound)."""
    base = base or PagerConfig()
    counter = counter or TokenCounter()
    result = Analysis(list(policies))
    for p in policies:
        result.runs[p] = []
    for path in paths:
        src = (sources or {}).get(path) or load_source(path)
        result.inputs.append({"path": str(path), "format": src.format, "frames": len(src.frames),
                              "missing": src.missing, "warnings": src.warnings[:20]})
        b, cache = None, None
        if bound:
            builder = ShapeBuilder(counter)
            b, facts, _, ledger, places = reference_pass(src, base, counter, fault_overhead, builder, prices)
            live = live_config(src)
            as_sent = as_sent_ledger(src, live, counter, builder, prices) if live is not None else None
            cals = (as_sent or ledger).calibrations()
            ledger.bill(cals)
            if as_sent is not None:
                as_sent.bill(cals)
            cache = CacheReference(cals, ledger, cache_bound(facts, places, ledger, cals, fault_overhead), builder,
                                   as_sent)
            if progress:
                progress(len(src.frames))
        for p in policies:
            result.runs[p].append(run_policy(src, base.with_(policy=p), counter=counter, bound=b,
                                             fault_overhead=fault_overhead, progress=progress, cache=cache,
                                             prices=prices))
    return result


def frames_to_process(sources: list[ReplaySource], policies: list[str], bound: bool = True) -> int:
    return sum(len(s.frames) for s in sources) * (len(policies) + (1 if bound else 0))
