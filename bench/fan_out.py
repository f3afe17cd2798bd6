"""Benchmark: the weekly fan-out through the real Slack messenger to a fake Web API (issue 18).

The fake Slack runs in its own process on loopback (latency added to every call; 429 with
Retry-After beyond its rate). In one run, next to each other:

1. unlimited rate: deliveries per second (and per CPU-second of this process) of one
   replica's outbox sender, next to the floor: the same number of bare `chat.postMessage`
   calls through the same client with no database, at the same concurrency;
2. rate R for N people on one replica: completion time / (N / R), lost, duplicated;
3. planning N_big people (`plan_picks`): seconds and the process's peak memory, optionally
   sending them all at an unlimited rate too (`--big-send`).

    .venv/bin/python -m bench.fan_out --database sqlite --recipients 2000 --rate 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.workload import FakeSlackProcess, fresh_database, seed_people
from bot.slack.app import render_pair
from bot.slack.messenger import SlackMessenger, build_web_client
from captions import TemplateCaptionWriter
from content_store import outbox
from content_store.database import Database
from content_store.people import get_or_create_workspace
from handlers.context import Services
from handlers.deliveries import plan_picks
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig

UNLIMITED = 1e9


class Clock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Run:
    """One measured run."""

    label: str
    recipients: int
    seconds: float
    cpu_seconds: float
    posted: int
    unique: int
    duplicates: int
    rate_limited: int

    @property
    def per_second(self) -> float:
        """Messages a second."""
        return self.recipients / self.seconds

    @property
    def per_cpu_second(self) -> float:
        """Messages per CPU-second of this process (the fake runs in its own)."""
        return self.recipients / max(self.cpu_seconds, 1e-9)


def _services(db: Database) -> Services:
    return Services(
        db=db,
        captions=TemplateCaptionWriter(),
        public_base_url="https://boost.example.org",
        clock=Clock(),
    )


def _messenger(fake: FakeSlackProcess) -> SlackMessenger:
    client = build_web_client(token="xoxb-test", base_url=f"{fake.root}/api/")  # noqa: S106
    return SlackMessenger(client=client, render=render_pair)


async def _diff(fake: FakeSlackProcess, before: dict[str, int]) -> dict[str, int]:
    after = await fake.stats()
    return {key: after[key] - before.get(key, 0) for key in after}


async def run_outbox(
    db: Database,
    fake: FakeSlackProcess,
    *,
    workspace: str,
    people: int,
    rate: float,
    concurrency: int,
) -> Run:
    """Queue everyone of a new workspace, then let one replica's sender work the outbox dry."""
    await seed_people(db, workspace=workspace, people=people)
    services = _services(db)
    burst = max(1.0, rate / 4) if rate < UNLIMITED else UNLIMITED
    sender = Sender(
        services,
        messengers={"slack": _messenger(fake)},
        limiter=RateLimiter(db, rates={"slack": Rate(rate, burst)}),
        config=SenderConfig(concurrency=concurrency),
    )
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=workspace)
    before = await fake.stats()
    started, cpu = time.perf_counter(), time.process_time()
    await plan_picks(services, workspace=ws, occurrence=services.clock.now())
    while True:
        await sender.drain()
        async with db.session() as session:
            if await outbox.waiting_count(session) == 0:
                break
        await asyncio.sleep(0.05)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    stats = await _diff(fake, before)
    return Run(
        "outbox sender",
        people,
        seconds,
        cpu_seconds,
        stats["posted"],
        stats["recipients"],
        stats["duplicates"],
        stats["rate_limited"],
    )


async def run_floor(fake: FakeSlackProcess, *, people: int, concurrency: int) -> Run:
    """Bare chat.postMessage calls through the same client: the HTTP cost alone."""
    client = _messenger(fake)._client  # the same client the messenger posts through
    before = await fake.stats()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(people):
        queue.put_nowait(index)

    async def worker() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            await client.chat_postMessage(channel=f"FLOOR-U{index:06d}", text="Your picks")

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    stats = await _diff(fake, before)
    return Run(
        "bare chat.postMessage",
        people,
        seconds,
        cpu_seconds,
        stats["posted"],
        stats["recipients"],
        stats["duplicates"],
        stats["rate_limited"],
    )


async def run_planning(db: Database, *, people: int) -> tuple[float, float]:
    """Seconds to plan `people` picks, and the process's peak memory (MiB) afterwards."""
    await seed_people(db, workspace="T-PLAN", people=people)
    services = _services(db)
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id="T-PLAN")
    started = time.perf_counter()
    queued = await plan_picks(services, workspace=ws, occurrence=services.clock.now())
    seconds = time.perf_counter() - started
    assert queued == people, queued
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _line(label: str, run: Run, ideal: float | None = None) -> str:
    ratio = f"{run.seconds / ideal:6.3f}" if ideal else "     -"
    lost = run.recipients - run.unique
    return (
        f"{label:<40} {run.recipients:>7} {run.seconds:>8.1f} {run.per_second:>8.1f} "
        f"{run.per_cpu_second:>8.1f} {ratio} {lost:>5} {run.duplicates:>5} {run.rate_limited:>5}"
    )


async def bench(kind: str, arguments: argparse.Namespace) -> dict[str, float]:
    """Every part on one database, each against its own fake Slack process."""
    figures: dict[str, float] = {}
    print(
        f"{'run':<40} {'people':>7} {'seconds':>8} {'msg/s':>8} {'msg/cpu':>8} "
        f"{'ratio':>6} {'lost':>5} {'dupes':>5} {'429s':>5}"
    )
    with tempfile.TemporaryDirectory() as directory:
        db = await fresh_database(kind, Path(directory))
        try:
            fake = FakeSlackProcess(rate=UNLIMITED, latency=arguments.latency)
            try:
                ours = await run_outbox(
                    db,
                    fake,
                    workspace="T-FREE",
                    people=arguments.unlimited,
                    rate=UNLIMITED,
                    concurrency=arguments.concurrency,
                )
                floor = await run_floor(
                    fake, people=arguments.unlimited, concurrency=arguments.concurrency
                )
            finally:
                fake.stop()
            print(_line(f"{kind}: unlimited, outbox", ours))
            print(_line(f"{kind}: unlimited, bare client floor", floor))
            figures["unlimited/floor msg/s"] = ours.per_second / floor.per_second
            figures["unlimited/floor msg/cpu"] = ours.per_cpu_second / floor.per_cpu_second
            fake = FakeSlackProcess(rate=arguments.rate, latency=arguments.latency)
            try:
                limited = await run_outbox(
                    db,
                    fake,
                    workspace="T-BENCH",
                    people=arguments.recipients,
                    rate=arguments.rate,
                    concurrency=arguments.concurrency,
                )
            finally:
                fake.stop()
            ideal = arguments.recipients / arguments.rate
            print(_line(f"{kind}: R={arguments.rate:g}/s, outbox", limited, ideal))
            figures[f"R={arguments.rate:g} completion/(N/R)"] = limited.seconds / ideal
            figures["lost"] = limited.recipients - limited.unique
            figures["duplicated"] = limited.duplicates
            seconds, peak = await run_planning(db, people=arguments.big)
            print(
                f"{kind}: planning {arguments.big:,} people: {seconds:.1f} s "
                f"({seconds / (arguments.big / arguments.rate):.4f} of the send floor at "
                f"R={arguments.rate:g}); peak memory {peak:.0f} MiB"
            )
            figures["planning s"] = seconds
            figures["peak MiB"] = peak
        finally:
            await db.dispose()
    return figures


def main() -> None:
    """Parse arguments, run, print the table and a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000, help="N at rate R")
    parser.add_argument("--rate", type=float, default=50.0, help="R: messages/s Slack allows")
    parser.add_argument("--unlimited", type=int, default=2_000, help="people at no rate limit")
    parser.add_argument("--big", type=int, default=100_000, help="people planned at once")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per call")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    arguments = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(f"latency {arguments.latency * 1000:g} ms per call, concurrency {arguments.concurrency}")
    summary = {kind: asyncio.run(bench(kind, arguments)) for kind in kinds}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
