"""The engine's JSON snapshot in the /_pichay/state shape: what the control API, the UI and the tests read."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..session.session import Session

if TYPE_CHECKING:
    from .facade import Engine


def session_state(s: Session, pages: bool = True) -> dict[str, Any]:
    """One session's counters, pending commands and (with `pages`) its page table, faults and sweeps."""
    st = s.stats
    pins = sum(1 for p in s.resident_results.values() if p.pinned)
    out = {"id": s.id, "client": s.client, "parent": s.parent, "turns": s.turn, "epoch": s.epoch,
           "calibration": round(s.usage.calibration.factor, 4),
           "stats": {**st.to_dict(), "pins": pins, "resident_tokens": s.tokens.header_tokens + s.tokens.resident_tokens,
                     "evicted_tokens": s.tokens.evicted_tokens, "cleared_tokens": s.tokens.cleared_tokens,
                     "header_tokens": s.tokens.header_tokens, "zone": s.zone,
                     "fault_rate": round(st.faults / st.evictions, 4) if st.evictions else 0.0},
           "pending": list(s.pending), "last_usage": s.usage.last_usage}
    if pages:
        pend = {c.get("page"): c["command"] for c in s.pending if c.get("page")}
        out["pages"] = [{**s.pages[pid].to_dict(s.turn), "pending": pend.get(pid)} for pid in s.order]
        out["faults"] = [f.to_dict() for f in s.faults]
        out["sweeps"] = list(s.sweeps)
    return out


def engine_state(eng: "Engine", pages: bool = True) -> dict[str, Any]:
    """Every session (spilled ones as their summary) plus the engine's own counters."""
    return {"mode": eng.config.mode, "policy": eng.policy.name, "side_requests": eng.side_requests,
            "failures": eng.failures,
            "sessions": [session_state(s, pages) for s in eng.sessions.values()]
            + [dict(v) for v in eng.sessions.spilled.values()]}
