"""Graceful shutdown: on SIGTERM stop accepting, finish acknowledged work (with a deadline), exit.

Slack's Bolt answers a command with its ack and then runs the listener as a background task
(`asyncio.ensure_future`, referenced by nobody); other platforms' SDKs may do the same. aiohttp
waits for request handlers at shutdown, not for such tasks, and the loop then cancels them:
acknowledged commands were lost. Here every task started while a request is being handled
(and every task those start) is tracked, and shutdown waits for them before anything else is
cleaned up (the database, the HTTP clients, the CPU worker).

aiohttp's order on SIGTERM: stop the listening sockets, refuse new requests on open
connections, run `on_shutdown`, wait for running handlers, then run `on_cleanup`; the drain is
the first cleanup step, so the database and connections are still there for the listeners.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Generator
from contextvars import ContextVar
from typing import Any

from aiohttp import web

from bot.metrics import Handler
from offload import worker

log = logging.getLogger(__name__)

# Long enough for a command's database work and answer; short of the usual 30 s a process
# manager (systemd, Kubernetes) waits after SIGTERM before it kills.
DRAIN_SECONDS = 20.0
_IN_REQUEST: ContextVar[bool] = ContextVar("in_request", default=False)
TaskFactory = Any  # asyncio's own type for it is private


class InFlight:
    """The tasks started on behalf of requests that have not finished yet."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self._previous: TaskFactory = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Track the tasks `loop` creates from now on (keeping any factory set before)."""
        self._previous = loop.get_task_factory()
        loop.set_task_factory(self._create)

    def uninstall(self, loop: asyncio.AbstractEventLoop) -> None:
        """Give `loop` back the task factory it had before `install`."""
        if loop.get_task_factory() == self._create:
            loop.set_task_factory(self._previous)

    def _create(
        self,
        loop: asyncio.AbstractEventLoop,
        coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
        **options: Any,
    ) -> asyncio.Future[Any]:
        task: asyncio.Future[Any]
        if self._previous is not None:
            task = self._previous(loop, coro, **options)
        else:
            task = asyncio.Task(coro, loop=loop, **options)
        # Read in the creating task's context: a request's, or one started from a request.
        if _IN_REQUEST.get() and isinstance(task, asyncio.Task):
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return task

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Mark the request's context, so that tasks it starts (and theirs) are tracked."""
        token = _IN_REQUEST.set(True)
        try:
            return await handler(request)
        finally:
            _IN_REQUEST.reset(token)

    async def drain(self, *, seconds: float) -> int:
        """Wait up to `seconds` for the tracked tasks, and those they start; returns how many
        were still running at the deadline (they are then cancelled by the loop's shutdown)."""
        deadline = time.monotonic() + seconds
        while self.tasks:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await asyncio.wait(set(self.tasks), timeout=remaining)
        return len(self.tasks)


def attach(app: web.Application, *, drain_seconds: float = DRAIN_SECONDS) -> InFlight:
    """Finish acknowledged work on shutdown, then let the CPU worker go (if it was started)."""
    in_flight = InFlight()
    app.middlewares.append(in_flight.middleware)

    async def started(_: web.Application) -> None:
        in_flight.install(asyncio.get_running_loop())

    async def stopping(_: web.Application) -> None:
        log.info("shutting down: no new requests; finishing %d in flight", len(in_flight.tasks))

    async def drained(_: web.Application) -> None:
        left = await in_flight.drain(seconds=drain_seconds)
        in_flight.uninstall(asyncio.get_running_loop())
        if left:
            log.warning(
                "shutdown: %d tasks still running after %g s are stopped", left, drain_seconds
            )

    async def worker_stopped(_: web.Application) -> None:
        worker.stop_in_background()

    app.on_startup.append(started)
    app.on_shutdown.append(stopping)
    # First of all cleanup steps: listeners still need the database and the HTTP clients.
    app.on_cleanup.insert(0, drained)
    # Last: stopping the worker may wait for it to start, and must not hold up the rest.
    app.on_cleanup.append(worker_stopped)
    return in_flight
