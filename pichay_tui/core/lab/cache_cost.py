"""Dollars under the cache model for a replay: per-request bills, per-session spend, validation and the cache bound.

A `CacheLedger` collects, for every session request of one replay, the shape of what was sent upstream (the policy's
outbound) with its timestamp and recorded usage; `bill()` then runs one shared `CacheSim` over them in time order with a
per-session calibration. The calibration is fitted once per input, on the keep-everything pass (the client's own
bytes) against the recorded usage, and reused for every policy: the tokenizer does not depend on the policy.

Spend of a policy = Σ request bills (input, cache writes, cache reads, recorded output) + Σ faults and restores, each
charged (T + RT) tokens at the 5-minute write price (the re-read comes back as new content).

The cache bound lives in `cache_bound.py`; `reference_pass` gathers what it needs (the keep-everything ledger, page
facts and page places).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cache_model import Bill, CacheSim, Calibration, Shape, ShapeBuilder, usage_of
from .clairvoyant import DEFAULT_FAULT_OVERHEAD, PageFact
from .prices import PRICES, Price, price_for


@dataclass(slots=True)
class SentRequest:
    session: str
    n: int                            # the session's request number
    ts: float
    shape: Shape
    observed: dict[str, int] | None   # recorded usage (None when the input has none)
    output: int = 0                   # recorded output tokens (the same under every policy)
    bill: Bill | None = None


@dataclass(slots=True)
class CacheLedger:
    """Shapes of every session request of one replay, billed afterwards (calibration needs the whole session)."""

    builder: ShapeBuilder
    requests: list[SentRequest] = field(default_factory=list)
    prices: dict[str, Price] = field(default_factory=lambda: PRICES)
    assume_breakpoints: bool = False          # the input format drops cache_control (see ShapeBuilder.shape)

    def add(self, session: str, n: int, ts: float, body: dict[str, Any], usage: dict[str, Any] | None) -> None:
        out = int((usage or {}).get("output_tokens") or 0)
        shape = self.builder.shape(body, self.assume_breakpoints, key=session)
        self.requests.append(SentRequest(session, n, ts, shape, usage_of(usage), out))

    def calibrations(self) -> dict[str, Calibration]:
        pairs: dict[str, list[tuple[int, int]]] = {}
        for r in self.requests:
            if r.observed:
                pairs.setdefault(r.session, []).append((r.shape.total, sum(r.observed.values())))
        cals = {sid: Calibration.fit(p) for sid, p in pairs.items()}
        everything = [x for p in pairs.values() for x in p]
        cals[""] = Calibration.fit(everything) if everything else Calibration()
        return cals

    def bill(self, cals: dict[str, Calibration]) -> None:
        sim = CacheSim()
        for i, r in enumerate(sorted(self.requests, key=lambda r: r.ts)):
            r.bill = sim.bill(r.shape, r.ts, cals.get(r.session) or cals.get("") or Calibration(),
                              price_for(r.shape.model, self.prices), r.output)
            if i % 256 == 255:
                sim.expire(r.ts - 3600)

    def sessions(self) -> dict[str, list[SentRequest]]:
        out: dict[str, list[SentRequest]] = {}
        for r in self.requests:
            out.setdefault(r.session, []).append(r)
        return out


def session_spend(reqs: list[SentRequest], fault_tokens: int, cal: Calibration, prices: dict[str, Price] = PRICES
                  ) -> dict[str, Any]:
    """USD of one session's bills plus its faults; `fault_tokens` is the token metric's Σ (T + RT)."""
    model = reqs[0].shape.model if reqs else ""
    price = price_for(model, prices)
    bills = sum(r.bill.usd for r in reqs if r.bill)
    faults = fault_tokens * cal.b * price.write_5m / 1e6
    return {"usd": round(bills + faults, 6), "requests_usd": round(bills, 6), "faults_usd": round(faults, 6),
            "model": model, "context_tokens_end": reqs[-1].bill.total if reqs and reqs[-1].bill else 0}


def request_rows(reqs: list[SentRequest], reference: dict[int, SentRequest] | None = None) -> list[dict[str, Any]]:
    """`sessions[].requests[]`: n, observed and predicted usage (Anthropic field names), predicted dollars."""
    rows = []
    for r in reqs:
        u = r.bill.usage if r.bill else None
        row: dict[str, Any] = {"n": r.n, "ts": r.ts, "usage_observed": r.observed,
                               "usage_predicted": {k: u[k] for k in ("input_tokens", "cache_creation_input_tokens",
                                                                     "cache_read_input_tokens")} if u else None,
                               "usd_predicted": round(r.bill.usd, 6) if r.bill else None}
        ref = (reference or {}).get(r.n)
        if ref is not None and ref.bill:
            row["usage_predicted_no_pager"] = {k: ref.bill.usage[k] for k in ("input_tokens",
                                               "cache_creation_input_tokens", "cache_read_input_tokens")}
        rows.append(row)
    return rows


def validation(reqs: list[SentRequest], skip: int = 2) -> dict[str, Any]:
    """Predicted (as the client sent it) against observed usage, over the requests after the first `skip`."""
    pairs = [(r.bill.usage, r.observed) for r in reqs[skip:] if r.bill and r.observed]
    if not pairs:
        return {"requests": 0}
    out: dict[str, Any] = {"requests": len(pairs), "skipped": min(skip, len(reqs))}
    for k, short in (("cache_read_input_tokens", "read"), ("cache_creation_input_tokens", "write"),
                     ("input_tokens", "input")):
        p = sum(a[k] for a, _ in pairs)
        o = sum(b[k] for _, b in pairs)
        out[f"{short}_predicted"], out[f"{short}_observed"] = p, o
        out[f"{short}_error_pct"] = round(100.0 * (p - o) / o, 2) if o else None
    tot_p = sum(sum(a[k] for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
                for a, _ in pairs)
    tot_o = sum(sum(b.values()) for _, b in pairs)
    out["total_error_pct"] = round(100.0 * (tot_p - tot_o) / tot_o, 2) if tot_o else None
    out["read_abs_error_pct_per_request"] = round(100.0 * sum(abs(a["cache_read_input_tokens"] -
                                                                  b["cache_read_input_tokens"]) for a, b in pairs)
                                                  / max(1, sum(b["cache_read_input_tokens"] for _, b in pairs)), 2)
    return out


@dataclass(slots=True)
class PagePlace:
    session: str
    page: str
    a: int                            # arrival request
    msg_index: int
    block_index: int
    early: bool = False               # already an eviction candidate in its arrival request (a new user turn came
    #                                   with it), so a policy could hide it before the model saw it


ASSUMED_BREAKPOINT_FORMATS = ("cc-transcript",)   # importers whose bodies lose cache_control


def new_ledger(builder: ShapeBuilder, source: Any, prices: dict[str, Price] | None = None) -> CacheLedger:
    return CacheLedger(builder, prices=prices or PRICES,
                       assume_breakpoints=getattr(source, "format", "") in ASSUMED_BREAKPOINT_FORMATS)


def recorded_usage(frame: Any) -> dict[str, Any] | None:
    """The usage recorded for a frame's own request, as the upstream reported it (not rescaled to another policy)."""
    for kind, item in frame.after:
        if kind == "response" and item[0] == frame.index and item[1] is not None:
            return dict(item[1].usage or {}) or None
    return None


def observe(ledger: CacheLedger, result: Any, body: dict[str, Any] | None, frame: Any) -> None:
    """Add one replayed request (a FrameResult with its outbound) to the ledger; side requests are not sessions'."""
    if result is None or result.side or not result.session_id or body is None:
        return
    ledger.add(result.session_id, result.request_no, result.ts, body, recorded_usage(frame))


def reference_pass(source: Any, config: Any, counter: Any, rt: int = DEFAULT_FAULT_OVERHEAD,
                   builder: ShapeBuilder | None = None, prices: dict[str, Price] | None = None
                   ) -> tuple[Any, list[PageFact], Any, CacheLedger, dict[tuple[str, str], PagePlace]]:
    """The keep-everything replay: the token bound's facts, the ledger of the client's own bytes, page places."""
    from .. import events as ev
    from .clairvoyant import CostMeter, clairvoyant_bound
    from ..recording.replayer import Replayer

    cfg = config.with_(policy="none", mode="page", fault_pinning=False)
    rp = Replayer(source, cfg, counter=counter, measure_bytes=False, snapshot_every=1 << 30, keep_outbound=True)
    meter = CostMeter(rp.engine, rp.counter, rt)
    ledger = new_ledger(builder or ShapeBuilder(rp.counter), source, prices)
    places: dict[tuple[str, str], PagePlace] = {}

    fresh: dict[str, list[PagePlace]] = {}

    def on_event(e: Any) -> None:
        payload = e.payload
        if isinstance(payload, ev.PageAdded) and payload.kind == "tool_result":
            s = rp.engine.sessions[e.session]
            p = s.pages[payload.page]
            pl = places[(e.session, p.id)] = PagePlace(e.session, p.id, s.request_no, p.msg_index, p.block_index)
            fresh.setdefault(e.session, []).append(pl)
        elif isinstance(payload, ev.RequestPaged):
            s = rp.engine.sessions[e.session]
            for pl in fresh.pop(e.session, ()):
                pl.early = s.pages[pl.page].turn < s.turn

    rp.subscribe(on_event)
    while not rp.at_end:
        r = rp.step()
        observe(ledger, r, r.outbound, source.frames[r.index])
        r.outbound = None
    facts = meter.finish_facts()
    return clairvoyant_bound(facts, rt), facts, meter, ledger, places


def live_config(source: Any) -> Any:
    """The configuration a recording was made with (its header), or None for inputs that forwarded the client's bytes
    (reference-proxy logs, transcripts): their recorded usage belongs to the client's own bytes."""
    from ..model.config import PagerConfig, Zones

    cfg = (source.header or {}).get("config") if getattr(source, "format", "") == "recording" else None
    if not isinstance(cfg, dict):
        return None
    known = {k: v for k, v in cfg.items() if k in PagerConfig.__dataclass_fields__ and k != "zones"}
    try:
        zones = Zones(**cfg["zones"]) if isinstance(cfg.get("zones"), dict) else Zones()
        return PagerConfig(**known, zones=zones)
    except (TypeError, ValueError):
        return None


def as_sent_ledger(source: Any, config: Any, counter: Any, builder: ShapeBuilder,
                   prices: dict[str, Price] | None = None) -> CacheLedger:
    """Replay under the live configuration: the bytes that produced the recorded usage (for calibration/validation)."""
    from ..recording.replayer import Replayer

    rp = Replayer(source, config, counter=counter, measure_bytes=False, snapshot_every=1 << 30, keep_outbound=True)
    ledger = new_ledger(builder, source, prices)
    while not rp.at_end:
        r = rp.step()
        observe(ledger, r, r.outbound, source.frames[r.index])
        r.outbound = None
    return ledger
