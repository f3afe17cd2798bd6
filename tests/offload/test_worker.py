"""The CPU worker: results and errors come back, and a task past its cap (or whose caller gave
up) is stopped with its process, so it burns no CPU afterwards."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from offload import worker
from offload.worker import WorkTooLong, run_bounded


def add(a: int, b: int) -> int:
    return a + b


def refuse(reason: str) -> None:
    raise ValueError(reason)


def spin_forever(pid_file: str) -> None:
    """Say which process runs this, then burn CPU until stopped."""
    Path(pid_file).write_text(str(os.getpid()))
    while True:
        pass


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def _eventually(check: Callable[[], bool], *, tries: int = 1200) -> bool:
    for _ in range(tries):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


async def test_a_result_comes_back() -> None:
    assert await run_bounded(add, 2, b=3, seconds=60) == 5


async def test_the_functions_own_error_comes_back_unchanged() -> None:
    with pytest.raises(ValueError, match="no thanks"):
        await run_bounded(refuse, "no thanks", seconds=60)


async def test_a_task_past_its_cap_is_stopped_with_its_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with pytest.raises(WorkTooLong):
        await run_bounded(spin_forever, str(pid_file), seconds=0.5)
    assert _gone(int(pid_file.read_text()))
    assert await run_bounded(add, 1, 1, seconds=60) == 2  # a fresh worker takes over


async def test_a_cancelled_caller_stops_its_task_and_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    task = asyncio.create_task(run_bounded(spin_forever, str(pid_file), seconds=600))
    # Another process: nothing to await but its file (polled, up to a minute).
    assert await _eventually(lambda: pid_file.exists() and bool(pid_file.read_text()))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pid = int(pid_file.read_text())
    # pebble stops a cancelled task's worker on its next round (every 0.1 s).
    assert await _eventually(lambda: _gone(pid))


def own_pid() -> int:
    return os.getpid()


async def test_starting_ahead_twice_is_harmless_and_tasks_still_run_in_the_worker() -> None:
    await worker.start_ahead()
    await worker.start_ahead()  # already running: nothing to do
    assert await run_bounded(own_pid, seconds=30.0) != os.getpid()


async def test_starting_ahead_sends_no_task_once_the_worker_has_run_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert await run_bounded(add, 1, 2, seconds=30.0) == 3
    sent: list[object] = []

    async def recording(function: object, /, *args: object, **kwargs: object) -> None:
        sent.append(function)

    monkeypatch.setattr(worker, "run_bounded", recording)
    await worker.start_ahead()
    assert sent == []
    worker.shutdown()  # a new pool has its fork server to start: the empty task goes again
    await worker.start_ahead()
    assert sent == [worker._ready]
