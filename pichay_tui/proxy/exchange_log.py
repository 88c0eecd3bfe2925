"""The bookkeeping around one exchange: its recording, the engine's failure record, the upstream-problem listeners.

None of it may cost the client its answer, so every step here swallows its own errors (and says so in the record).
"""
from __future__ import annotations

import time
from typing import Any

from ..core.model.exchange import ResponseSummary


class ExchangeLog:
    """Records and reports exchanges for a Proxy (read through it, so a recorder set later is used)."""

    def __init__(self, proxy: Any) -> None:
        self.proxy = proxy

    def request(self, xid: int, now: float, path: str, headers: dict[str, str], body: Any, outbound: Any,
                **kw: Any) -> None:
        """A request record; a body the recording cannot hold (nested too deep) is recorded without its bodies."""
        recorder = self.proxy.recorder
        if not recorder:
            return
        try:
            recorder.request(xid, now, "POST", path, headers, body, outbound, **kw)
        except Exception as e:  # noqa: BLE001 - the recording must never cost the client its answer
            kw["failure"] = "; ".join(x for x in (kw.get("failure"), f"body not recorded: {type(e).__name__}: {e}")
                                      if x)
            try:
                recorder.request(xid, now, "POST", path, headers, None, None, **kw)
            except Exception:  # noqa: BLE001
                pass

    def upstream_problem(self, sid: str, status: int, error: str | None, path: str) -> None:
        """Tell the listeners the upstream failed this request (never raises into the request path)."""
        if status == 499:                    # the client went away: not the upstream's fault
            return
        info = {"session": sid, "status": status, "error": error or f"HTTP {status}", "path": path,
                "ts": self.proxy.clock()}
        for cb in list(self.proxy.problem_listeners):
            try:
                cb(info)
            except Exception:  # noqa: BLE001
                pass

    def done(self, xid: int, sid: str, t0: float, summary: ResponseSummary) -> None:
        """The exchange ended (answered, failed or abandoned): the engine learns the response, the recording too."""
        proxy = self.proxy
        if summary.status >= 400 or (summary.error and "side parser" not in summary.error):
            self.upstream_problem(sid, summary.status, summary.error, "/v1/messages")
        failure = None
        if sid:
            try:
                proxy.engine.handle_response(sid, summary, now=proxy.clock())
            except Exception as e:  # noqa: BLE001
                failure = f"{type(e).__name__}: {e}"
                self.failed("response", failure, sid)
        if proxy.recorder:
            proxy.recorder.response(xid, proxy.clock(), sid, summary, (time.perf_counter() - t0) * 1000, failure)

    def failed(self, where: str, error: str, sid: str = "") -> None:
        """An engine failure the proxy recovered from (it failed open), onto the engine's timeline."""
        try:
            self.proxy.engine.record_failure(where, error, sid)
        except Exception:  # noqa: BLE001 - never let bookkeeping break forwarding
            pass
