"""Replay mode: the live app and screens, driven by a core ReplayController instead of a proxy.

The controller is wrapped as a `Host` (the app's existing infrastructure slot), so the live key bindings for
pause/step/speed drive playback; a timeline bar marks evictions (e), faults (F) and zone changes (z). Jumping back
restores an engine snapshot: the view model is pointed at the restored engine and rebuilt.

Keys: space play/pause · n or → one frame · ← one frame back · ] / [ next / previous marker · home / end · + / − speed
· P policy comparison for this recording (worker thread). Operator commands (evict, pin, …) are recorded into the
replay at the current frame, so going back and forward recomputes them exactly. The turn diff follows the current frame.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

from textual import on
from textual.binding import Binding
from textual.widgets import Static

from ..core.errors import CommandError
from ..core.recording.controller import ReplayController
from ..core.view.turndiff import BodyTap
from .widgets.header import policy_label
from .app import PichayApp
from .messages import HostStatus
from .screens.compare import CompareProgress, CompareReady, CompareScreen, CompareState
from .screens.main import MainScreen

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


class ReplayTap(BodyTap):
    """Page content in a replay: the client body of the session's latest applied frame and what went upstream for it
    (kept when the replayer keeps outbound bodies), always from the controller's current engine."""

    def __init__(self, controller: ReplayController) -> None:
        self.controller = controller
        super().__init__(controller.engine, wrap=False)

    @property
    def engine(self) -> Any:
        return self.controller.engine

    @engine.setter
    def engine(self, _: Any) -> None:
        pass

    @property
    def last(self) -> dict[str, tuple[dict, dict]]:
        rp = self.controller.replayer
        out: dict[str, tuple[dict, dict]] = {}
        for i in range(rp.position - 1, -1, -1):
            r = rp.results.get(i)
            if r is not None and r.session_id and r.session_id not in out:
                out[r.session_id] = (rp.frames[i].exchange.body, r.outbound or {})
        return out

    @last.setter
    def last(self, _: Any) -> None:
        pass


class ReplayHost:
    """Adapts a ReplayController to the app's Host interface (run/stop/url/status_line + demo controls)."""

    controllable = True
    url = ""

    def __init__(self, controller: ReplayController, label: str = "") -> None:
        self.c, self.label = controller, label
        self._stop = False
        self.app: Any = None

    async def run(self, app: Any) -> None:
        self.app = app
        app.post_message(HostStatus(self.status_line(), "status"))
        period = 0.05
        while not self._stop:
            await asyncio.sleep(period)
            if self.c.tick(period):
                app.moved()

    async def stop(self) -> None:
        self._stop = True

    def status_line(self) -> str:
        state = "playing" if self.c.playing else "paused"
        return f"replay {self.label} · frame {self.c.position}/{self.c.total} · {state} {self.c.speed:g} fps"

    def toggle_pause(self) -> None:
        self.c.toggle()
        self._status()

    def step_once(self) -> None:
        self.c.pause()
        self.c.step()
        self.app.moved()

    def set_speed(self, factor: float) -> None:
        self.c.faster() if factor > 1 else self.c.slower()
        self._status()

    def _status(self) -> None:
        if self.app is not None:
            self.app.post_message(HostStatus(self.status_line(), "status"))


TIMELINE_STYLE = {"e": "dark_orange", "F": "bold red", "z": "yellow", "▲": "bold #f0c674"}


class ReplayScreen(MainScreen):
    """The live screen plus a timeline bar."""

    SHORT, TINY = 34, 26   # the timeline takes two rows: at 80×24 the fault/pin row gives way to 8+ page rows

    def compose(self):
        from textual.widgets import Footer

        for widget in super().compose():
            if isinstance(widget, Footer):              # the timeline sits above the footer, not over it
                bar = Static("", id="replay-timeline")
                bar.styles.height = 2
                yield bar
            yield widget

    def on_mount(self) -> None:
        from .widgets.header import HeaderBar

        # Textual runs MainScreen.on_mount after this one (handlers run per class of the MRO): calling it here too
        # set the pane titles twice, the second time behind the title cache, so they lost their counts
        from .widgets.gauge import MemoryGauge

        self.query_one(HeaderBar).offline = ""
        self.query_one(MemoryGauge).empty_text = "frame 0: no request applied yet — → steps to the first one"
        self.call_after_refresh(self.app.moved)       # the timeline and status from frame 0 on, at the real width

    def on_resize(self) -> None:
        if self.ready:
            self.show_timeline(self.app.controller, self.app.host.status_line())

    def show_timeline(self, controller: ReplayController, status: str) -> None:
        from rich.text import Text

        bar = self.query_one("#replay-timeline", Static)
        width = max(10, (self.size.width or 80) - 4)
        line = Text()
        for ch in controller.timeline(width):
            line.append(ch, style=TIMELINE_STYLE.get(ch, "grey35"))
        line.append("\n")
        line.append(status, style="grey70")
        line.append("   e evict", style="dark_orange")
        line.append(" · ", style="grey42")
        line.append("F fault", style="bold red")
        line.append(" · ", style="grey42")
        line.append("z zone", style="yellow")
        line.append(" · ", style="grey42")
        line.append("▲ here", style="bold #f0c674")
        line.append("   → ← step · [ ] marks · space play", style="grey50")
        bar.update(line)


class ReplayApp(PichayApp):
    BINDINGS = PichayApp.BINDINGS + REPLAY_BINDINGS
    TITLE = "pichay-tui · replay"

    def __init__(self, controller: ReplayController, label: str = "", **kw: Any) -> None:
        self.controller = controller
        self.compare: CompareState | None = None
        kw.setdefault("tap", ReplayTap(controller))
        super().__init__(controller.engine, host=ReplayHost(controller, label), **kw)
        from ..core.lab.spend import SpendMeter, usage_is_ours

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
        from .screens.turndiff import TurnDiffScreen

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
            from ..cli.replay import DEFAULT_COMPARE

            rp = self.controller.replayer
            primary = rp.config.policy
            policies = [primary] + [p for p in DEFAULT_COMPARE.split(",") if p != primary]
            self.compare = CompareState(rp.source.path or "replay", len(rp.frames), policies)
            self.run_worker(self._compare_job, thread=True, name="compare", exit_on_error=False)
        self.push_screen(CompareScreen(self.compare))

    def _compare_job(self) -> None:
        """Worker thread: the same comparison as `analyze --compare`, on fresh engines; results go up as messages."""
        from ..cli.replay import COMPARE_HEADERS, compare_rows
        from ..core.lab.analysis import analyze, frames_to_process

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

