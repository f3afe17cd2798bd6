"""Benchmark: event-loop lag while CPU-heavy work runs on the loop, in a thread, in the worker.

Each workload runs three ways while a probe sleeps 10 ms at a time on the loop and records how
late it wakes (the time nothing else could run): on the loop itself (the baseline, what the
code did before), in a thread (`asyncio.to_thread`), and in the CPU worker process
(`offload.worker.run_bounded`). A caller that gives up after `--give-up` seconds
shows the other half: how much CPU the work kept burning afterwards (a thread cannot be
stopped; the worker is killed).

    .venv/bin/python -m bench.event_loop_lag
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry

from bot.metrics import LoopLag
from handlers.charts import weekly_chart
from links.page_metadata import extract_metadata
from offload.worker import WorkTooLong, run_bounded


def punycode(size: int) -> str:
    """What the fetcher did with a page served as `charset=punycode` (now refused)."""
    return (b"-" + b"a" * size).decode("punycode", errors="replace")


def unclosed_tags(count: int) -> str:
    """html.parser on a head full of unclosed tags: its time grows much faster than the page."""
    return extract_metadata("<html><head>" + "<a " * count, base_url="https://x.example/").title


def chart(_: int) -> int:
    """One twelve-week chart, as the digest and /boost stats draw it."""
    weeks = [f"W{n:02d}" for n in range(1, 13)]
    series = {name: list(range(12)) for name in ("shares", "clicks", "sharers")}
    return len(weekly_chart(title="Last twelve weeks", labels=weeks, series=series))


WORKLOADS: dict[str, tuple[Callable[[int], Any], int]] = {
    "punycode 100k": (punycode, 100_000),
    "unclosed tags 3k": (unclosed_tags, 3_000),
    "chart": (chart, 0),
}


async def _measured(run: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """(worst lag, elapsed seconds) while `run` is awaited."""
    probe = LoopLag(CollectorRegistry(), interval=0.01)
    await probe.start()
    await asyncio.sleep(0.05)  # the probe is asleep when the work starts
    probe.worst = 0.0
    started = time.perf_counter()
    with contextlib.suppress(TimeoutError, WorkTooLong):
        await run()
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0.05)  # and wakes once after it, late if the loop was blocked
    await probe.stop()
    return probe.worst, elapsed


async def _on_loop(work: Callable[[int], Any], size: int) -> Any:
    await asyncio.sleep(0)
    return work(size)


async def _cpu_after_giving_up(how: str, *, size: int, give_up: float) -> float:
    """CPU seconds this process spends in the `give_up` seconds after its caller gave up."""
    if how == "worker":
        with contextlib.suppress(WorkTooLong):
            await run_bounded(unclosed_tags, size, seconds=give_up)  # killed at the cap
    else:
        # A daemon thread, as asyncio.to_thread's would not let the benchmark exit.
        threading.Thread(target=unclosed_tags, args=(size,), daemon=True).start()
        await asyncio.sleep(give_up)  # the caller's deadline; the thread runs on regardless
    before = time.process_time()
    await asyncio.sleep(give_up)
    return time.process_time() - before


async def main(*, give_up: float) -> None:
    await run_bounded(chart, 0, seconds=120)  # the worker started and warm, as in the server
    print(f"{'workload':<18} {'mode':<7} {'worst lag s':>11} {'elapsed s':>10} {'lag/elapsed':>11}")
    for name, (work, size) in WORKLOADS.items():
        modes: dict[str, Callable[[], Awaitable[Any]]] = {
            "loop": functools.partial(_on_loop, work, size),
            "thread": functools.partial(asyncio.to_thread, work, size),
            "worker": functools.partial(run_bounded, work, size, seconds=120),
        }
        for mode, run in modes.items():
            lag, elapsed = await _measured(run)
            print(f"{name:<18} {mode:<7} {lag:>11.3f} {elapsed:>10.3f} {lag / elapsed:>11.2f}")
    for how in ("worker", "thread"):  # the thread last: it never stops
        burnt = await _cpu_after_giving_up(how, size=12_000, give_up=give_up)
        print(
            f"unclosed tags 12k, caller gives up after {give_up:g} s, {how}: "
            f"{burnt:.2f} CPU-s burnt by this process in the {give_up:g} s after"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--give-up", type=float, default=2.0)
    arguments = parser.parse_args()
    asyncio.run(main(give_up=arguments.give_up))
