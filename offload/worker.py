"""CPU-heavy steps (reading fetched pages, drawing charts) in a worker process with a time cap.

Why a process and not a thread: a thread cannot be stopped, so a page that takes minutes to
parse would burn a core for minutes after its caller gave up, and it still holds the GIL the
event loop needs (bench/event_loop_lag.py measures both). A process is killed at its time
cap (or when its caller is cancelled), and pebble starts a fresh one for the next task.

One worker per server process: hostile input can occupy at most one core, and tasks queue
behind it; each caller's own deadline (a cancelled wait) takes its task out of the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import sys
import threading
import types
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

T = TypeVar("T")

WORKERS = 1
# A worker is replaced after this many tasks, so nothing one task leaves behind accumulates.
TASKS_PER_WORKER = 500
# Imported once by the fork server, not by every worker.
_PRELOAD = ["links.page_metadata"]


class WorkTooLong(TimeoutError):
    """The task ran past its time cap; its worker was killed."""


class WorkFailed(RuntimeError):
    """The worker died during the task (killed from outside, out of memory, a crash)."""


_STOP_SECONDS = 3.0
# A worker not up within this long is left to the next task to start (see `start_ahead`).
_START_SECONDS = 60.0
_NOT_PRELOADED = frozenset({"__main__", "__mp_main__", "builtins"})
_lock = threading.Lock()
_pool: ProcessPool | None = None
_owner = 0  # the process that started _pool: a forked child must start its own
# The pool that has finished a task: its fork server is up, so nothing is left to start ahead.
_warm: ProcessPool | None = None


def _running_pool() -> ProcessPool:
    global _pool, _owner
    with _lock:
        if _pool is None or _owner != os.getpid():
            # Not a plain fork: forking a process with running threads (the database driver's,
            # pebble's own) can copy a held lock into the child. Not spawn either: each new
            # worker would import the whole program again (seconds) after every kill. The fork
            # server imports it once, and workers are forked from that single-threaded process.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([*_PRELOAD, *_main_imports()])
            _pool = ProcessPool(max_workers=WORKERS, max_tasks=TASKS_PER_WORKER, context=context)
            _owner = os.getpid()
        return _pool


async def run_bounded(
    function: Callable[..., T], /, *args: Any, seconds: float, **kwargs: Any
) -> T:
    """`function(*args, **kwargs)` in the worker process, killed after `seconds` of running.

    `function` must be importable by name (a module-level function) and its arguments and
    result picklable. Raises WorkTooLong at the cap and WorkFailed if the worker died; an
    exception raised by `function` itself reaches the caller unchanged. Cancelling the caller
    cancels the task, killing its worker if it had started.
    """
    pool = _running_pool()
    future = pool.schedule(function, args=args, kwargs=kwargs, timeout=seconds)
    try:
        result = await asyncio.wrap_future(future)
    except FutureTimeout as error:
        raise WorkTooLong(f"{_name(function)} ran past {seconds:g} s and was stopped") from error
    except ProcessExpired as error:
        raise WorkFailed(f"{_name(function)}: the worker process ended") from error
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # our caller was cancelled (and pebble stops the task with it)
        # Nobody cancelled us: pebble dropped the task (the pool is being stopped).
        raise WorkFailed(f"{_name(function)}: the worker pool stopped") from None
    global _warm
    _warm = pool
    return result


def _ready() -> None:
    """Nothing: running it starts the worker (see `start`)."""


async def start_ahead() -> None:
    """Have the worker running, ahead of a task about to come: starting it the first time (the
    fork server's imports) takes a second or two, which then overlaps the caller's own waiting
    (a regrouping's queries) instead of adding to it. Once a task has finished in this
    process's worker, there is nothing to start: a replaced worker is forked from the fork
    server, which keeps its imports."""
    if _warm is not None and _warm is _pool and _owner == os.getpid():
        return
    await run_bounded(_ready, seconds=_START_SECONDS)


def shutdown() -> None:
    """Stop the worker processes (server shutdown); the next task starts them again."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None and _owner == os.getpid():
        pool.stop()  # type: ignore[no-untyped-call]
        # Bounded: a worker still being started waits for the fork server's imports, which
        # may take seconds on a busy machine; the fork server ends with this process anyway.
        with contextlib.suppress(TimeoutError):
            pool.join(timeout=_STOP_SECONDS)


def stop_in_background() -> None:
    """`shutdown` without waiting for it: stopping may wait for a worker that is still being
    started (the fork server's imports), and nothing should hold up a server's exit for it.
    Workers whose pool is gone end on their own when their pipe closes."""
    threading.Thread(target=shutdown, name="cpu-worker-stop", daemon=True).start()


def _main_imports() -> list[str]:
    """The modules the program's main script imports (for `socialboost`: bot.cli, so all).

    Every worker runs the main script again as multiprocessing does (its fork server does not
    keep it, whatever its docs say: CPython looks for a "main_path" key that is never set).
    With what the script imports already loaded in the fork server, that rerun is instant.
    """
    main = sys.modules.get("__main__")
    names = set()
    for value in vars(main).values() if main is not None else ():
        name = value.__name__ if isinstance(value, types.ModuleType) else None
        name = name or getattr(value, "__module__", None)
        if isinstance(name, str) and name in sys.modules and name not in _NOT_PRELOADED:
            names.add(name)
    return sorted(names)


def _name(function: Callable[..., Any]) -> str:
    return getattr(function, "__qualname__", repr(function))
