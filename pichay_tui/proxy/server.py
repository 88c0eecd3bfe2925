"""Runs the proxy with uvicorn inside the caller's asyncio loop (the TUI's, or `serve`'s)."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import errno
import socket
import sys
import time
from pathlib import Path
from typing import Any, Callable

import uvicorn

from ..core.model.config import PagerConfig
from ..core.engine.facade import Engine
from ..core.model.tokens import warm_up
from ..core.errors import StartupError
from ..settings import ProxyOptions
from .app import Proxy
from .banner import is_loopback
from .guard import ControlGuard, new_token, write_token_file
from .intercept import DEFAULT_TIMEOUT, Intercept
from .recorder import Recorder, RecordingRefused, check_appendable
from .upstream import Upstream

# Sessions kept in RAM; idle ones beyond this are spilled to the store (--state-dir, else a temporary one) and come
# back on their next request (core/session/spill.py). docs/reliability.md lists the limits.
RESIDENT_SESSIONS = 64


class BindError(OSError):
    """The proxy cannot listen where it was asked to (port in use, address not on this machine, no permission)."""

    def __init__(self, host: str, port: int, cause: OSError) -> None:
        hint = ""
        if cause.errno == errno.EADDRINUSE:
            hint = (f" — another program (another pichay-tui?) is using port {port}; choose one with --port N, "
                    "or --port 0 for a free one")
        elif cause.errno == errno.EADDRNOTAVAIL:
            hint = f" — {host} is not an address of this machine"
        super().__init__(cause.errno, f"cannot listen on {host}:{port}: {cause.strerror or cause}{hint}")

    def __str__(self) -> str:
        return self.strerror


class _InLoopServer(uvicorn.Server):
    """uvicorn without its signal handlers: the host application owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


# Imported on the first request otherwise (anyio's backend, loaded by Starlette): 100–200 ms on the event loop while
# other sessions wait. Found by diffing sys.modules before the listening line and after one request of each kind.
LAZY_MODULES = ("anyio._backends._asyncio", "anyio.lowlevel", "anyio.streams.memory", "anyio.streams.stapled",
                "anyio.streams.tls", "anyio.abc", "sqlite3")


def warm_imports() -> None:
    """Import now (in a worker thread, before the listening line) what the first requests would import on the loop."""
    import importlib

    for name in LAZY_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


class ProxyServer:
    """The proxy as an object: `url = await server.start()`, `server.engine`, `await server.stop()`.

    `options` is a ProxyOptions (CLI flags) or a PagerConfig (then `host`, `port`, `upstream`, `record` apply).
    """

    def __init__(self, options: ProxyOptions | PagerConfig | None = None, engine: Engine | None = None, *,
                 host: str | None = None, port: int | None = None, upstream: str | None = None,
                 record: str | None = None, transport: Any = None, clock: Callable[[], float] = time.time,
                 timeout: Any = None, log_level: str = "warning",
                 intercept_timeout: float | None = DEFAULT_TIMEOUT, resident_sessions: int = RESIDENT_SESSIONS) -> None:
        if isinstance(options, PagerConfig):
            opts, config = ProxyOptions(mode=options.mode), options
        else:
            opts = options or ProxyOptions()
            config = opts.pager_config()
        self.options = opts
        self.host = host or opts.host
        self.port = opts.port if port is None else port
        self.upstream_url = upstream or opts.upstream
        self.record_path = record if record is not None else opts.record
        if self.record_path:
            try:
                check_appendable(self.record_path)          # before the TUI takes the screen: one line, exit 1
            except RecordingRefused as e:
                raise StartupError(str(e)) from None
        self.store = None
        self.reset_moved: Path | None = None                  # where --reset-state put the previous store
        if engine is None and opts.state_dir:
            from ..store.opening import open_persistent        # resumes the sessions saved there

            self.store, engine, self.reset_moved = open_persistent(
                opts.state_dir, lambda store: Engine(config, store=store, clock=clock), reset=opts.reset_state)
        self._spill_dir: str | None = None
        if engine is None and self.store is None:
            engine = self._temp_store_engine(config, clock)
        elif self.store is not None:
            engine.sessions.store = self.store
        engine.sessions.limit = resident_sessions
        self.engine = engine
        self.clock = clock
        self.intercept = Intercept(timeout=intercept_timeout)   # exists before start(): the TUI subscribes early
        self.guard = ControlGuard(opts.control_token or new_token(), opts.allow_host)
        self.problem_listeners: list[Callable[[dict], None]] = []   # upstream failures (see Proxy)
        self.log_level = log_level
        self.transport = transport
        self.timeout = timeout
        self.url: str | None = None
        self.token_file: Path | None = None
        self.proxy: Proxy | None = None
        self.recorder: Recorder | None = None
        self._server: _InLoopServer | None = None
        self._task: asyncio.Task | None = None
        self._upstream: Upstream | None = None

    def _temp_store_engine(self, config: PagerConfig, clock: Callable[[], float]) -> Engine:
        """Without --state-dir: evicted content and idle sessions go to a temporary SQLite store (not durable,
        deleted at stop), so memory stays bounded however many sessions come and go."""
        import tempfile

        from ..store.sqlite import PersistentEngine, SQLiteStore

        self._spill_dir = tempfile.mkdtemp(prefix="pichay-spill-")
        self.store = SQLiteStore(self._spill_dir, durable=False)
        engine = Engine(config, store=self.store, clock=clock)
        engine.sessions.store = self.store
        engine.sessions.save = PersistentEngine(engine, self.store).checkpoint   # only when spilling
        return engine

    async def start(self) -> str:
        """Bind, start serving in the running loop, and return the base URL (`http://HOST:PORT`)."""
        if self._task is not None:
            return self.url  # type: ignore[return-value]
        if self.options.state_dir:
            try:
                Path(self.options.state_dir).mkdir(parents=True, exist_ok=True)
                self.token_file = write_token_file(self.options.state_dir, self.guard.token)
            except OSError as e:
                raise StartupError(f"cannot write {Path(self.options.state_dir) / 'control-token'}: "
                                   f"{e.strerror or e}") from None
        if self.record_path:
            try:
                self.recorder = Recorder(self.record_path, self.engine, upstream=self.upstream_url)
            except OSError as e:
                raise StartupError(str(e) if isinstance(e, RecordingRefused)
                                   else f"cannot record to {self.record_path}: {e.strerror or e}") from None
        await asyncio.to_thread(warm_up)     # the tokenizer loads off the loop, before the first request
        await asyncio.to_thread(warm_imports)
        # Worker threads (big bodies) hand the GIL back to the event loop every 1 ms instead of 5 ms: a request
        # passes through the loop many times, each possibly waiting one interval.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        # Every parsed body is tens of thousands of fresh containers: with the default thresholds the cyclic GC
        # keeps re-walking everything loaded at startup (halves the mean cost of an 800 KB request, bench/).
        gc.freeze()
        g0, g1, g2 = gc.get_threshold()
        gc.set_threshold(max(g0, 10_000), g1, g2)
        kw = {"timeout": self.timeout} if self.timeout is not None else {}
        self._upstream = Upstream(self.upstream_url, transport=self.transport, **kw)
        self.proxy = Proxy(self.engine, self._upstream, self.recorder, self.clock, intercept=self.intercept,
                           guard=self.guard, problem_listeners=self.problem_listeners)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # proto TCP: asyncio sets NODELAY
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as e:
            sock.close()
            raise BindError(self.host, self.port, e) from e
        sock.listen(128)
        sock.setblocking(False)
        self._sock = sock
        port = sock.getsockname()[1]
        self.guard.bind(self.host, port)
        config = uvicorn.Config(self.proxy.app, log_level=self.log_level, lifespan="off", access_log=False,
                                timeout_graceful_shutdown=3, timeout_keep_alive=75, server_header=False,
                                date_header=False)
        self._server = _InLoopServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="pichay-proxy")
        while not self._server.started:
            if self._task.done():
                self._task.result()          # re-raise the startup error
                raise RuntimeError("the proxy server stopped during startup")
            await asyncio.sleep(0.005)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.port = port
        self.url = f"http://{host}:{port}"
        return self.url

    @property
    def control_token(self) -> str:
        return self.guard.token

    @property
    def warning(self) -> str | None:
        """A warning for binding a non-loopback address (anyone who can reach it can use your API key)."""
        if is_loopback(self.host):
            return None
        return (f"warning: listening on {self.host}, not loopback: anyone who can reach this port can send requests "
                f"with the API keys your clients pass through it")

    async def stop(self) -> None:
        """Stop serving, close the upstream pool and the recording; safe to call twice."""
        if self._task is None:
            return
        task, self._task = self._task, None
        if self.proxy is not None:
            self.proxy.shutdown()
        if self._server is not None:
            self._server.should_exit = True
        try:
            await task
        finally:
            if self._upstream is not None:
                await self._upstream.aclose()
            if self.recorder is not None:
                self.recorder.close()
            if self.store is not None:
                self.store.close()
            if self._spill_dir is not None:
                import shutil

                shutil.rmtree(self._spill_dir, ignore_errors=True)
            with contextlib.suppress(OSError):
                self._sock.close()

    async def __aenter__(self) -> "ProxyServer":
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
