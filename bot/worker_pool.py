"""Several server processes on one port (SO_REUSEPORT), started and restarted by a supervisor.

One Python process uses one core. `socialboost serve --workers N` starts N copies of the
server that all listen on the same port; the kernel spreads connections among them. Each copy
is a replica as far as the database is concerned: one of them wins the scheduler's leader
lock, all of them send from the outbox. Needs PostgreSQL (SQLite has one writer).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from types import FrameType

log = logging.getLogger(__name__)

# More restarts than this within the window means restarting will not help.
RESTART_BUDGET = 5
RESTART_WINDOW = 60.0
STOP_GRACE_SECONDS = 15.0
_PR_SET_PDEATHSIG = 1


class WorkersRefused(ValueError):
    """Settings under which several workers would be wrong; the message says why."""


def check_workers(*, count: int, database_url: str, playground: bool) -> None:
    """Refuse a worker count the rest of the settings cannot support."""
    if count < 1:
        raise WorkersRefused(f"--workers must be at least 1, not {count}")
    if count == 1:
        return
    if database_url.startswith("sqlite"):
        raise WorkersRefused(
            "--workers above 1 needs PostgreSQL (DATABASE_URL): SQLite has a single writer, "
            "so several processes would only wait for each other"
        )
    if playground:
        raise WorkersRefused("--playground runs with one worker: the Playground talks to one")


Ready = Callable[[], None]


@dataclass
class _Worker:
    """One worker process and what the supervisor knows of it."""

    index: int
    process: BaseProcess
    ready: EventType


def supervise(*, count: int, target: Callable[[Ready], None]) -> int:
    """Run `target` in `count` processes until told to stop; 0 on a clean stop, 1 when a
    worker could not start or keeps dying. A worker that dies after it was ready (it called
    the `Ready` callback it is given) is started again."""
    context = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = [_start(context, target, index) for index in range(count)]
    code = _watch(context, target, workers, stopping)
    _stop_all([worker.process for worker in workers])
    return code


def _start(context: SpawnContext, target: Callable[[Ready], None], index: int) -> _Worker:
    ready = context.Event()
    process = context.Process(target=_worker, args=(target, ready), name=f"worker-{index}")
    process.start()
    log.info("worker %d started (pid %s)", index, process.pid)
    return _Worker(index, process, ready)


def _watch(
    context: SpawnContext,
    target: Callable[[Ready], None],
    workers: list[_Worker],
    stopping: list[int],
) -> int:
    restarts: deque[float] = deque(maxlen=RESTART_BUDGET)
    while not stopping:
        wait([worker.process.sentinel for worker in workers], timeout=0.5)
        for worker in list(workers):
            if worker.process.is_alive() or stopping:
                continue
            code = worker.process.exitcode
            if not worker.ready.is_set():
                log.error("worker %d could not start (exit code %s)", worker.index, code)
                return 1
            restarts.append(time.monotonic())
            if len(restarts) == RESTART_BUDGET and restarts[-1] - restarts[0] < RESTART_WINDOW:
                log.error("workers keep dying (%d restarts in a minute); stopping", RESTART_BUDGET)
                return 1
            log.warning("worker %d exited (code %s); starting it again", worker.index, code)
            workers[worker.index] = _start(context, target, worker.index)
    return 0


def _stop_all(processes: list[BaseProcess]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            log.warning("worker pid %s did not stop in time; killing it", process.pid)
            process.kill()
            process.join()


def _worker(target: Callable[[Ready], None], ready: EventType) -> None:
    """A worker's life: die with the supervisor, then serve until told to stop."""
    _die_with_parent()
    target(ready.set)


def _die_with_parent() -> None:
    # Without this a supervisor killed with SIGKILL would leave its workers serving the port.
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        log.warning("could not ask to stop with the supervisor; stop workers by hand if needed")
