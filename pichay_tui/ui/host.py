"""What runs beside the TUI in its event loop: the proxy, optionally an agent subprocess, or the embedded demo.

Hosts only start infrastructure and post messages (HostStatus, AgentOutput); they never touch widgets.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path
from typing import Any, AsyncContextManager, Awaitable, Callable

from .messages import AgentOutput, HostStatus, UpstreamProblem


class ProxyHost:
    """The proxy in the app's loop, plus `pichay-tui -- agent args` as a subprocess whose output goes to a log."""

    controllable = False

    def __init__(self, server: Any, agent_cmd: list[str] | None = None, log_path: str | None = None,
                 env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        self.server, self.agent_cmd, self.log_path = server, list(agent_cmd or []), log_path
        self.env, self.cwd = env, cwd
        self.exit_code: int | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.agent_state = ""
        self.live = 0                     # sessions live now, set by the app

    @property
    def url(self) -> str | None:
        return self.server.url

    @property
    def agent_running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def status_line(self) -> str:
        """`agent claude: running (pid 42) · 2 sessions live`; the app keeps `live` current (sessions with a request
        in the last few minutes)."""
        if not self.server.url:
            return "starting…"
        live = self.live
        sessions = f"{live} session{'s' if live != 1 else ''} live" if live else "waiting for an agent"
        if self.agent_cmd:
            return f"agent {Path(self.agent_cmd[0]).name}: {self.agent_state} · {sessions}"
        return sessions

    async def run(self, app: Any) -> None:
        from ..core.errors import StartupError
        from ..proxy.server import BindError

        self.server.problem_listeners.append(lambda info: app.post_message(UpstreamProblem(info)))
        try:
            url = await self.server.start()
        except (BindError, StartupError) as e:   # nothing to show without a proxy: say why and exit non-zero
            self.agent_state = "not started (no proxy)"
            app.post_message(HostStatus(str(e), "error"))
            app.exit(return_code=1, message=f"pichay-tui: {e}")
            return
        app.post_message(AgentOutput(f"pichay-tui listening on {url}"))          # the serve banner, in the log
        app.post_message(AgentOutput(f"pichay-tui control token: {self.server.control_token}"))
        app.post_message(HostStatus(f"proxy listening on {url}", "status"))
        if getattr(self.server, "warning", None):
            app.post_message(HostStatus(self.server.warning, "warning"))
        if self.agent_cmd:
            await self._run_agent(app, url)

    async def _run_agent(self, app: Any, url: str) -> None:
        env = {**(self.env if self.env is not None else os.environ), "ANTHROPIC_BASE_URL": url}
        log = open(self.log_path, "ab") if self.log_path else None
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *self.agent_cmd, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True, cwd=self.cwd)
        except OSError as e:
            self.agent_state = f"failed to start ({e.strerror})"
            app.post_message(HostStatus(f"cannot start {self.agent_cmd[0]}: {e}", "error"))
            return
        self.agent_state = f"running (pid {self.proc.pid})"
        app.post_message(HostStatus(f"started {' '.join(self.agent_cmd)}", "status"))
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            if log:
                log.write(raw)
                log.flush()
            app.post_message(AgentOutput(raw.decode("utf-8", "replace").rstrip("\n")))
        code = await self.proc.wait()
        if log:
            log.close()
        how = f"exited with status {code}" if code >= 0 else f"killed by signal {-code}"
        self.agent_state, self.exit_code = (f"exited ({code})" if code >= 0 else how), code
        app.post_message(AgentOutput(f"── {Path(self.agent_cmd[0]).name} {how} ──"))
        app.post_message(HostStatus(f"agent {Path(self.agent_cmd[0]).name} {how}",
                                    "information" if code == 0 else "warning"))

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)     # the group we started (start_new_session)
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except asyncio.TimeoutError:                     # it ignores SIGTERM: quitting still stops it
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.proc.wait(), 5)
            except ProcessLookupError:
                pass
        await self.server.stop()


class DemoHost(ProxyHost):
    """`pichay-tui demo`: scripted upstream + proxy + simulated agent on a scratch copy of the sample project."""

    controllable = True
    follow_new_sessions = True        # each script is a new session: the view moves to the one running

    def __init__(self, server: Any, workdir: str, scripts: tuple[str, ...] = ("coding", "long"),
                 pace: float = 2.0, start_paused: bool = False, *, make_project: Callable[[str], Any],
                 start_upstream: Callable[[str], AsyncContextManager[str]],
                 make_agent: Callable[[str, str, str, Callable[[Any], Awaitable[None]]], Any]) -> None:
        """The simulator comes in as three callables (cli/demo.py passes sim's), so the UI does not import sim:
        `make_project(workdir)` writes the sample project, `start_upstream(workdir)` is an async context giving the
        scripted upstream's URL, `make_agent(proxy_url, workdir, script, on_exchange)` an agent with `await run()`."""
        super().__init__(server)
        self.workdir, self.scripts, self.pace = workdir, scripts, pace
        self.make_project, self.start_upstream, self.make_agent = make_project, start_upstream, make_agent
        self.speed, self.paused = 1.0, start_paused
        self._resume = asyncio.Event()
        if not start_paused:
            self._resume.set()
        self._single = False
        self.step, self.script = 0, ""
        self._app: Any = None

    def status_line(self) -> str:
        state = "⏸ paused" if self.paused else "▶ running"
        return f"demo {state} {self.speed:g}× · script {self.script or '—'} · step {self.step}  (space pause, +/- speed)"

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        (self._resume.clear if self.paused else self._resume.set)()
        self._status()

    def step_once(self) -> None:
        """While paused: let the agent make exactly one more request."""
        if self.paused:
            self._single = True
            self._resume.set()

    def set_speed(self, factor: float) -> None:
        self.speed = min(16.0, max(0.25, self.speed * factor))
        self._status()

    def _status(self) -> None:
        if self._app is not None:
            self._app.post_message(HostStatus(self.status_line(), "status"))

    async def _on_exchange(self, x: Any) -> None:
        self.step = x.turn
        for use in (b for b in x.response.get("content") or [] if b.get("type") == "tool_use"):
            arg = next(iter((use.get("input") or {}).values()), "")
            self._app.post_message(AgentOutput(f"[{self.script} {x.turn:>3}] {use['name']} "
                                               f"{str(arg).replace(self.workdir, '.')}"))
        self._status()
        await asyncio.sleep(self.pace / self.speed)
        if self._single:
            self._single = False
            self._resume.clear()
        await self._resume.wait()

    async def run(self, app: Any) -> None:
        self._app = app
        self.make_project(self.workdir)
        async with self.start_upstream(self.workdir) as upstream:
            self.server.upstream_url = upstream
            await super().run(app)
            if self.server.url is None:       # the proxy could not bind: run() asked the app to exit
                return
            for name in self.scripts:
                self.script, self.step = name, 0
                agent = self.make_agent(self.server.url, self.workdir, name, self._on_exchange)
                result = await agent.run()
                app.post_message(AgentOutput(f"[{name}] done: {result.final_text.splitlines()[-1][:100]}"))
            self.script = "finished"
            self._status()
            await asyncio.Event().wait()        # keep the upstream up until the app stops the worker
