"""The engine's JSON snapshot in the /_pichay/state shape (a mixin)."""
from __future__ import annotations

from typing import Any

from ..session.session import Session


class StateMixin:
    """`state()` and `session_state()`: what the control API, the UI and the tests read."""

    # ---- snapshot ----
    def session_state(self, s: Session, pages: bool = True) -> dict[str, Any]:
        st = s.stats
        pins = sum(1 for p in s.resident_results.values() if p.pinned)
        out = {"id": s.id, "client": s.client, "parent": s.parent, "turns": s.turn, "epoch": s.epoch,
               "calibration": round(s.calibration.factor, 4),
               "stats": {**st.to_dict(), "pins": pins, "resident_tokens": s.header_tokens + s.resident_tokens,
                         "evicted_tokens": s.evicted_tokens, "cleared_tokens": s.cleared_tokens,
                         "header_tokens": s.header_tokens, "zone": s.zone,
                         "fault_rate": round(st.faults / st.evictions, 4) if st.evictions else 0.0},
               "pending": list(s.pending), "last_usage": s.last_usage}
        if pages:
            pend = {c.get("page"): c["command"] for c in s.pending if c.get("page")}
            out["pages"] = [{**s.pages[pid].to_dict(s.turn), "pending": pend.get(pid)} for pid in s.order]
            out["faults"] = [f.to_dict() for f in s.faults]
            out["sweeps"] = list(s.sweeps)
        return out

    def state(self, pages: bool = True) -> dict[str, Any]:
        """JSON-able snapshot in the /_pichay/state shape."""
        return {"mode": self.config.mode, "policy": self.policy.name, "side_requests": self.side_requests,
                "failures": self.failures,
                "sessions": [self.session_state(s, pages) for s in self.sessions.values()]
                + [dict(v) for v in self.sessions.spilled.values()]}


