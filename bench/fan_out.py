"""Benchmark: a weekly fan-out through the real Slack messenger to a rate-limited fake Web API.

The fake Slack runs in its own process on loopback, lets R messages a second through per
workspace (429 with Retry-After beyond that) and adds latency to every call. The outbox
sender's completion time is compared with the ideal N / R; in the same run a naive loop
(compose, send, next; relying on the client's own 429 handling) sends to a sample.

    .venv/bin/python -m bench.fan_out --recipients 10000 --rate 25 --database both
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
from handlers.types import Actor
from handlers.weekly_picks import picks_reply, prepare_picks
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig


@dataclass
class Result:
    """What one run measured."""

    label: str
    recipients: int
    seconds: float
    ideal: float
    posted: int
    unique: int
    duplicates: int
    rate_limited: int

    def line(self) -> str:
        """One row of the printed table."""
        ratio = self.seconds / self.ideal
        lost = self.recipients - self.unique
        return (
            f"{self.label:<28} {self.recipients:>7} {self.seconds:>9.1f} {self.ideal:>8.1f} "
            f"{ratio:>6.3f} {lost:>5} {self.duplicates:>5} {self.rate_limited:>6}"
        )


class Clock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


async def _seed(db: Database, *, workspace: str, people: int) -> int:
    workspace_id, _ = await seed_people(db, workspace=workspace, people=people)
    return workspace_id


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


async def run_outbox(
    db: Database, fake: FakeSlackProcess, *, people: int, rate: float, concurrency: int
) -> Result:
    """Queue everyone, then let one replica's sender work the outbox to the end."""
    await _seed(db, workspace="T-BENCH", people=people)
    services = _services(db)
    before = await fake.stats()
    sender = Sender(
        services,
        messengers={"slack": _messenger(fake)},
        # A small burst lets the sender catch up after a hiccup without outrunning Slack.
        limiter=RateLimiter(db, rates={"slack": Rate(rate, max(1.0, rate / 4))}),
        config=SenderConfig(concurrency=concurrency),
    )
    started = time.perf_counter()
    async with db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id="T-BENCH")
    await plan_picks(services, workspace=workspace, occurrence=services.clock.now())
    while True:
        await sender.drain()
        async with db.session() as session:
            if await outbox.waiting_count(session) == 0:
                break
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - started
    return _result("outbox sender", people, seconds, rate, before, await fake.stats())


async def run_naive(db: Database, fake: FakeSlackProcess, *, people: int, rate: float) -> Result:
    """One message at a time: compose, send (the client sleeps out any 429), next."""
    await _seed(db, workspace="T-NAIVE", people=people)
    services = _services(db)
    messenger = _messenger(fake)
    before = await fake.stats()
    started = time.perf_counter()
    for index in range(people):
        actor = Actor("slack", "T-NAIVE", f"T-NAIVE-U{index:06d}")
        prepared = await prepare_picks(services, actor)
        reply = picks_reply(prepared.caller, prepared.shown, services=services)
        await messenger.send_to_user(workspace_id="T-NAIVE", user_id=actor.user_id, reply=reply)
    seconds = time.perf_counter() - started
    return _result("naive loop", people, seconds, rate, before, await fake.stats())


def _result(
    label: str,
    people: int,
    seconds: float,
    rate: float,
    before: dict[str, int],
    after: dict[str, int],
) -> Result:
    return Result(
        label=label,
        recipients=people,
        seconds=seconds,
        ideal=people / rate,
        posted=after["posted"] - before["posted"],
        unique=after["recipients"] - before["recipients"],
        duplicates=after["duplicates"] - before["duplicates"],
        rate_limited=after["rate_limited"] - before["rate_limited"],
    )


async def bench(kind: str, arguments: argparse.Namespace) -> list[Result]:
    """Both runs on one database against one fake Slack."""
    fake = FakeSlackProcess(rate=arguments.rate, latency=arguments.latency)
    try:
        with tempfile.TemporaryDirectory() as directory:
            db = await fresh_database(kind, Path(directory))
            try:
                ours = await run_outbox(
                    db,
                    fake,
                    people=arguments.recipients,
                    rate=arguments.rate,
                    concurrency=arguments.concurrency,
                )
                naive = await run_naive(db, fake, people=arguments.naive, rate=arguments.rate)
            finally:
                await db.dispose()
    finally:
        fake.stop()
    for result in (ours, naive):
        result.label = f"{kind}: {result.label}"
    return [ours, naive]


def main() -> None:
    """Parse arguments, run, print the table and a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=1_000, help="recipients of the naive loop")
    parser.add_argument("--rate", type=float, default=25.0, help="messages/s the fake allows")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per call")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    arguments = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    results = [row for kind in kinds for row in asyncio.run(bench(kind, arguments))]
    print(f"rate {arguments.rate:g}/s, latency {arguments.latency * 1000:g} ms per call")
    print(
        f"{'run':<28} {'people':>7} {'seconds':>9} {'ideal':>8} {'ratio':>6} "
        f"{'lost':>5} {'dupes':>5} {'429s':>6}"
    )
    for result in results:
        print(result.line())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the benchmark process: {peak:.0f} MiB")
    print(json.dumps({r.label: round(r.seconds / r.ideal, 3) for r in results}))


if __name__ == "__main__":
    main()
