"""The replay app: the live app driven by a ReplayController; operator commands are recorded into the replay, and
P compares every policy on the recording in a worker thread."""
from __future__ import annotations

import time
from typing import Any

from textual import on
from textual.binding import Binding

from ...core.errors import CommandError
from ...core.recording.controller import ReplayController
from ..app import PichayApp
from ..screens.compare import CompareProgress, CompareReady, CompareScreen, CompareState
from ..widgets.header import policy_label
from .host import ReplayHost
from .screen import ReplayScreen
from .tap import ReplayBodies

REPLAY_BINDINGS = [
    Binding("right", "replay_step", "Step", id="replay.step", tooltip="apply the next frame (API call)"),
    Binding("left", "replay_back", "Back", id="replay.back", tooltip="go back one frame (exact: snapshot + recompute)"),
    Binding("right_square_bracket", "replay_marker(1)", "Next mark", id="replay.next-marker", key_display="]",
            tooltip="jump past the next eviction, fault or zone change"),
    Binding("left_square_bracket", "replay_marker(-1)", "Prev mark", show=False, id="replay.prev-marker",
            key_display="[",
            tooltip="jump back to the previous eviction, fault or zone change"),
    Binding("home", "replay_jump(0)", "Start", show=False, id="replay.start"),
    Binding("end", "replay_jump(-1)", "End", show=False, id="replay.end"),
    Binding("P", "replay_compare", "Compare", id="replay.compare",
            tooltip="compare every policy on this recording (analyze --compare), computed in the background"),
]


class ReplayApp(PichayApp):
    BINDINGS = PichayApp.BINDINGS + REPLAY_BINDINGS
    TITLE = "pichay-tui · replay"

    def __init__(self, controller: ReplayController, label: str = "", **kw: Any) -> None:
        self.controller = controller
        self.compare: CompareState | None = None
        kw.setdefault("tap", ReplayBodies(controller))
        super().__init__(controller.engine, host=ReplayHost(controller, label), **kw)
        from ...core.lab.spend import SpendMeter, usage_is_ours

        ours = usage_is_ours(controller.replayer.source, controller.replayer.config)
        self.vm.observed_usage_is_ours = ours           # else recorded usage billed other bytes: dollars are modelled
        self.vm.spend = SpendMeter(observed_is_ours=ours)
        self._unsub()                                   # events come through the replayer (it survives jumps)
        controller.replayer.subscribe(self._inbox.append)
        controller.replayer.on_reset(self._engine_replaced)

    def on_mount(self, event: Any) -> None:
        event.prevent_default()                         # replaces PichayApp.on_mount (live screen + proxy host)
        self.push_screen(ReplayScreen(self.root))
        if self.auto_refresh_view:
            self.set_interval(1 / self.cfg.refresh_hz, self.refresh_view)
        self.run_worker(self.host.run(self), name="host", exit_on_error=False)

    def _engine_replaced(self, engine: Any) -> None:
        """A jump back restored a snapshot: point the view model at it and drop its per-page caches."""
        self.engine = engine
        self.vm.reset(engine)
        self._inbox.clear()
        rp = self.controller.replayer                   # the frames before the snapshot: page history, turn diffs
        for i in range(rp.position):
            r = rp.results.get(i)
            for e in r.events if r is not None else ():
                self.vm.feed(e)

    def moved(self) -> None:
        from ..screens.turndiff import TurnDiffScreen

        self.refresh_view(force=True)
        for s in self.screen_stack:
            if isinstance(s, ReplayScreen) and s.ready:
                s.show_timeline(self.controller, self.host.status_line())
                s.set_url("", self.host.status_line(), self.engine.config.mode, policy_label(self.engine.config))
            elif isinstance(s, TurnDiffScreen) and s.is_mounted:
                s.reload(follow=True)

    # ---- operator commands: recorded into the replay ----
    def send_command(self, command: str, **args: Any) -> Any:
        try:
            result = self.controller.command(command, **args)
        except ValueError as e:
            raise CommandError(str(e)) from e
        s = self._main()
        if s is not None and isinstance(s, ReplayScreen):
            s.show_timeline(self.controller, self.host.status_line())
        return result

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action.startswith("replay_"):
            return True
        return super().check_action(action, parameters)

    def action_replay_step(self) -> None:
        self.controller.pause()
        self.controller.step()
        self.moved()

    def action_replay_back(self) -> None:
        self.controller.pause()
        self.controller.back()
        self.moved()

    def action_replay_jump(self, index: int) -> None:
        self.controller.pause()
        self.controller.jump(self.controller.total if index < 0 else index)
        self.moved()

    # ---- policy comparison ----
    def action_replay_compare(self) -> None:
        if self.compare is None:
            from ...core.lab.compare import DEFAULT_COMPARE

            rp = self.controller.replayer
            primary = rp.config.policy
            policies = [primary] + [p for p in DEFAULT_COMPARE.split(",") if p != primary]
            self.compare = CompareState(rp.source.path or "replay", len(rp.frames), policies)
            self.run_worker(self._compare_job, thread=True, name="compare", exit_on_error=False)
        self.push_screen(CompareScreen(self.compare))

    def _compare_job(self) -> None:
        """Worker thread: the same comparison as `analyze --compare`, on fresh engines; results go up as messages."""
        from ...core.lab.compare import COMPARE_HEADERS, compare_rows
        from ...core.lab.analysis import analyze, frames_to_process

        state = self.compare
        rp = self.controller.replayer
        total = frames_to_process([rp.source], state.policies)
        done = [0]

        def progress(n: int) -> None:
            done[0] += n
            if done[0] % 25 == 0 or done[0] >= total:
                self.post_message(CompareProgress(done[0], total))

        start = time.perf_counter()
        try:
            result = analyze([state.source], state.policies, rp.config, sources={state.source: rp.source},
                             progress=progress)
            msg = CompareReady(COMPARE_HEADERS, compare_rows(result, 0), state.policies[0],
                               seconds=time.perf_counter() - start)
        except Exception as e:  # noqa: BLE001 - shown on the screen, not lost in a worker
            msg = CompareReady(COMPARE_HEADERS, error=f"{type(e).__name__}: {e}")
        self.post_message(msg)

    @on(CompareProgress)
    def _compare_progress(self, msg: CompareProgress) -> None:
        if self.compare is not None:
            self.compare.done, self.compare.total = msg.done, msg.total
            self._show_compare()

    @on(CompareReady)
    def _compare_ready(self, msg: CompareReady) -> None:
        if self.compare is not None:
            self.compare.ready = msg
            self._show_compare()

    def _show_compare(self) -> None:
        for s in self.screen_stack:
            if isinstance(s, CompareScreen) and s.is_mounted:
                s.show(self.compare)

    def action_replay_marker(self, direction: int) -> None:
        self.controller.pause()
        (self.controller.next_marker() if direction > 0 else self.controller.prev_marker())
        self.moved()
