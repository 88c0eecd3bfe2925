"""Noticing a client that goes away: its request's work (the upstream send, the relay) is cancelled at once.

Why inline and not a race of two tasks: the work runs in the request's own task, so the first response byte is not
delayed by task hand-offs; one watcher serves every step of a request.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable


async def wait_disconnect(receive: Callable[[], Any]) -> None:
    """Return when the client goes away (call only after the request body was fully read)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class CancelOnDisconnect:
    """Cancels the running task if the client goes away; `fired` tells that CancelledError apart from others.

    Why not race two tasks: the work runs inline, so the first response byte is not delayed by task hand-offs.
    """

    def __init__(self, receive: Callable[[], Any]) -> None:
        self.task = asyncio.current_task()
        self.fired = False
        self._active = True
        self._watch = asyncio.ensure_future(wait_disconnect(receive))
        self._watch.add_done_callback(self._on_watch)

    def _on_watch(self, watch: asyncio.Future) -> None:
        if self._active and not watch.cancelled() and watch.exception() is None and self.task is not None:
            self.fired = True
            self.task.cancel()

    def absorb(self) -> None:
        """Call in `except CancelledError` when `fired`: the cancellation was ours and is handled."""
        if self.task is not None:
            self.task.uncancel()

    def stop(self) -> None:
        self._active = False
        self._watch.cancel()


class ClientLeft(Exception):
    """The client disconnected while `unless_client_leaves` awaited its work (the work was cancelled)."""


WATCH = "pichay.watch"     # request scope key: the one watcher a request keeps from its upstream send to its relay


def stop_watching(scope: dict) -> None:
    """Stop a watcher a step kept for a relay that will not come (the request failed in between)."""
    guard = scope.pop(WATCH, None)
    if guard is not None:
        guard.stop()


async def unless_client_leaves(receive: Callable[[], Any], work: Awaitable[Any], scope: dict | None = None,
                               keep: bool = False) -> Any:
    """Await `work` inline; if the client disconnects first, cancel it and raise ClientLeft.

    With the request's `scope`, one watcher serves every step of a request: created at first use, left armed after a
    successful step with `keep` (the relay that follows the upstream send picks it up), stopped otherwise. Why: each
    watcher is a task plus a cancellation, paid on every request.
    """
    guard = scope.get(WATCH) if scope is not None else None
    if guard is not None and guard.task is not asyncio.current_task():   # never another task's watcher
        guard.stop()
        guard = None
    if guard is None:
        guard = CancelOnDisconnect(receive)
        if scope is not None:
            scope[WATCH] = guard
    done = False
    try:
        try:
            result = await work
            done = True
            return result
        finally:
            if not (keep and done):
                guard.stop()
                if scope is not None:
                    scope.pop(WATCH, None)
    except asyncio.CancelledError:
        if not guard.fired:
            raise
        guard.absorb()
        raise ClientLeft from None
