"""Page content in a replay, from the frames the controller has applied (no request hook: jumps replace engines)."""
from __future__ import annotations

from ...core.recording.controller import ReplayController
from ...core.view.turndiff import PageContent


class ReplayBodies(PageContent):
    """The client body of each session's latest applied frame and what went upstream for it (kept when the replayer
    keeps outbound bodies), always against the controller's current engine."""

    def __init__(self, controller: ReplayController) -> None:
        self.controller = controller
        super().__init__(lambda: controller.engine, self._latest_bodies)

    def _latest_bodies(self) -> dict[str, tuple[dict, dict]]:
        rp = self.controller.replayer
        out: dict[str, tuple[dict, dict]] = {}
        for i in range(rp.position - 1, -1, -1):
            r = rp.results.get(i)
            if r is not None and r.session_id and r.session_id not in out:
                out[r.session_id] = (rp.frames[i].exchange.body, r.outbound or {})
        return out
