"""Benchmark: the weekly fan-out through the real Slack and Teams messengers (issue 18).

The fake Slack and the local Teams connector run in their own processes on loopback (latency
added to every call; 429 with Retry-After beyond their rate). In one run, next to each other:

1. unlimited rate: deliveries per second (and per CPU-second of this process) of one
   replica's outbox sender, next to the floor: the same number of bare `chat.postMessage`
   calls through the same client and connection pool with no database, same concurrency;
2. rate R for N people on one replica: completion time / (N / R), lost, duplicated;
3. the same through the real `TeamsMessenger` against a connector allowing R requests a
   second per tenant (a picks message is several requests there: one card each, so the
   ideal is requests / R);
4. planning N_big people (`plan_picks`): seconds and the process's peak memory, and with
   `--big-send` sending them all at an unlimited rate too.

    .venv/bin/python -m bench.fan_out --database sqlite --recipients 10000 --rate 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert

from bench.teams_connector import FakeConnectorProcess
from bench.workload import FakeSlackProcess, fresh_database, seed_people
from bot.slack.app import render_pair
from bot.slack.messenger import SlackMessenger, build_web_client
from bot.teams.cloud import TeamsCloudAdapter, auth_configuration, build_cloud_adapter
from bot.teams.messenger import TeamsMessenger
from captions import TemplateCaptionWriter
from content_store import outbox
from content_store.database import Database
from content_store.models import TeamsConversation
from content_store.people import get_or_create_workspace
from handlers.context import Services
from handlers.deliveries import plan_picks
from handlers.types import Messenger
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig

UNLIMITED = 1e9


class UncheckedSlackProcess(FakeSlackProcess):
    """The fake Web API in a child process, answering without checking the blocks: the test
    suite checks every message's shape, and here the fake's own CPU would otherwise cap both
    the outbox and the floor."""

    checks_blocks = False


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
    planning: float = 0.0

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


@asynccontextmanager
async def _fake_slack(
    *, rate: float, latency: float
) -> AsyncIterator[tuple[UncheckedSlackProcess, SlackMessenger]]:
    """A fake Slack in its own process and a messenger on one connection pool, stopped after."""
    fake = UncheckedSlackProcess(rate=rate, latency=latency)
    try:
        async with aiohttp.ClientSession() as http:
            # One connection pool for every call, as the server's Slack adapter keeps (open_http).
            client = build_web_client(token="xoxb-test", base_url=f"{fake.root}/api/")  # noqa: S106
            client.session = http
            yield fake, SlackMessenger(client=client, render=render_pair)
    finally:
        fake.stop()


Stats = Callable[[], Any]


async def _diff(stats: Stats, before: dict[str, int]) -> dict[str, int]:
    after: dict[str, int] = await stats()
    return {key: after[key] - before.get(key, 0) for key in after}


async def run_outbox(
    db: Database,
    stats: Stats,
    messenger: Messenger,
    *,
    platform: str,
    workspace: str,
    people: int,
    rate: float,
    concurrency: int,
    seeded: bool = False,
) -> Run:
    """Queue everyone of a new workspace, then let one replica's sender work the outbox dry."""
    if not seeded:
        await seed_people(db, workspace=workspace, people=people, platform=platform)
    services = _services(db)
    burst = max(1.0, rate / 4) if rate < UNLIMITED else UNLIMITED
    sender = Sender(
        services,
        messengers={platform: messenger},
        limiter=RateLimiter(db, rates={platform: Rate(rate, burst)}),
        config=SenderConfig(concurrency=concurrency),
    )
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform=platform, external_id=workspace)
    before = await stats()
    started, cpu = time.perf_counter(), time.process_time()
    planned = await plan_picks(services, workspace=ws, occurrence=services.clock.now())
    planning = time.perf_counter() - started
    assert planned == people, planned
    while True:
        await sender.drain()
        async with db.session() as session:
            if await outbox.waiting_count(session) == 0:
                break
        await asyncio.sleep(0.05)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    counts = await _diff(stats, before)
    return Run(
        f"outbox sender ({platform})",
        people,
        seconds,
        cpu_seconds,
        counts["posted"],
        counts["recipients"],
        counts.get("duplicates", 0),
        counts.get("rate_limited", counts.get("throttled", 0)),
        planning,
    )


async def sent_message(messenger: SlackMessenger, *, channel: str) -> dict[str, Any]:
    """The text and blocks of the newest message in `channel` (one the outbox sent)."""
    response = await messenger.web_client.conversations_history(channel=channel, limit=1)
    message = response["messages"][0]
    return {"text": message["text"], "blocks": message.get("blocks")}


async def run_floor(
    fake: FakeSlackProcess,
    messenger: SlackMessenger,
    *,
    people: int,
    concurrency: int,
    message: dict[str, Any] | None = None,
) -> Run:
    """Bare chat.postMessage calls through the same client: the HTTP cost alone.

    `message`: post these text and blocks (with a tag in the metadata, as every post has)
    rather than a one-line text, so the platform's side costs what a picks message costs.
    """
    client = messenger.web_client  # the same client and pool the messenger posts through
    payload: dict[str, Any] = message or {"text": "Your picks"}
    before = await fake.stats()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(people):
        queue.put_nowait(index)

    async def worker() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            channel = f"FLOOR{len(payload)}-U{index:06d}"
            if message is None:
                await client.chat_postMessage(channel=channel, **payload)
                continue
            metadata = {"event_type": "floor", "event_payload": {"tag": f"floor:{index}"}}
            await client.chat_postMessage(channel=channel, metadata=metadata, **payload)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    stats = await _diff(fake.stats, before)
    return Run(
        "bare chat.postMessage" + (", same message" if message else ""),
        people,
        seconds,
        cpu_seconds,
        stats["posted"],
        stats["recipients"],
        stats["duplicates"],
        stats["rate_limited"],
    )


async def seed_teams(db: Database, *, tenant: str, people: int, service_url: str) -> None:
    """People of a tenant, each with the personal chat reference the app stores on install."""
    workspace_id, ids = await seed_people(db, workspace=tenant, people=people, platform="teams")
    now = datetime.now(UTC)
    rows = [
        {
            "workspace_id": workspace_id,
            "conversation_id": f"a:{user}",
            "kind": "personal",
            "user_id": user,
            "reference": {
                "user": {"id": f"29:{user}", "aadObjectId": user},
                "bot": {"id": "28:bot"},
                "conversation": {
                    "id": f"a:{user}",
                    "conversationType": "personal",
                    "tenantId": tenant,
                },
                "channelId": "msteams",
                "serviceUrl": service_url,
            },
            "updated_at": now,
        }
        for user in ids
    ]
    async with db.session() as session:
        for start in range(0, len(rows), 1000):
            await session.execute(insert(TeamsConversation), rows[start : start + 1000])


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
    return seconds, _peak_mib()


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _line(label: str, run: Run, ideal: float | None = None) -> str:
    ratio = f"{run.seconds / ideal:6.3f}" if ideal else "     -"
    lost = run.recipients - run.unique
    return (
        f"{label:<40} {run.recipients:>7} {run.seconds:>8.1f} {run.per_second:>8.1f} "
        f"{run.per_cpu_second:>8.1f} {ratio} {lost:>5} {run.duplicates:>5} {run.rate_limited:>5}"
    )


async def slack_unlimited(
    kind: str, db: Database, arguments: argparse.Namespace
) -> dict[str, float]:
    """The outbox at no rate limit next to the bare-client floor, against one fake Slack."""
    async with _fake_slack(rate=UNLIMITED, latency=arguments.latency) as (fake, messenger):
        ours = await run_outbox(
            db,
            fake.stats,
            messenger,
            platform="slack",
            workspace="T-FREE",
            people=arguments.unlimited,
            rate=UNLIMITED,
            concurrency=arguments.concurrency,
        )
        floor = await run_floor(
            fake, messenger, people=arguments.unlimited, concurrency=arguments.concurrency
        )
        # The seeded ids are not Slack-shaped, so the fake posts in a channel of that name.
        message = await sent_message(messenger, channel="T-FREE-U000000")
        same = await run_floor(
            fake,
            messenger,
            people=arguments.unlimited,
            concurrency=arguments.concurrency,
            message=message,
        )
    print(_line(f"{kind}: unlimited, outbox", ours))
    print(_line(f"{kind}: unlimited, bare client, one line", floor))
    print(_line(f"{kind}: unlimited, bare client, same message", same))
    return {
        "unlimited/floor msg/s": ours.per_second / floor.per_second,
        "unlimited/floor msg/cpu": ours.per_cpu_second / floor.per_cpu_second,
        "unlimited/same-message floor msg/s": ours.per_second / same.per_second,
    }


async def slack_limited(kind: str, db: Database, arguments: argparse.Namespace) -> dict[str, float]:
    """N people at R messages a second on one replica, against a fake Slack allowing R."""
    async with _fake_slack(rate=arguments.rate, latency=arguments.latency) as (fake, messenger):
        limited = await run_outbox(
            db,
            fake.stats,
            messenger,
            platform="slack",
            workspace="T-BENCH",
            people=arguments.recipients,
            rate=arguments.rate,
            concurrency=arguments.concurrency,
        )
    ideal = arguments.recipients / arguments.rate
    print(_line(f"{kind}: Slack R={arguments.rate:g}/s, outbox", limited, ideal))
    return {
        f"slack R={arguments.rate:g} completion/(N/R)": limited.seconds / ideal,
        "slack lost": limited.recipients - limited.unique,
        "slack duplicated": limited.duplicates,
    }


async def teams_limited(kind: str, db: Database, arguments: argparse.Namespace) -> dict[str, float]:
    """N people through TeamsMessenger at R requests a second per tenant."""
    connector = FakeConnectorProcess(rate=arguments.rate, latency=arguments.latency)
    adapter: TeamsCloudAdapter = build_cloud_adapter(auth_configuration(None))
    people = arguments.teams_recipients
    try:
        await seed_teams(
            db, tenant="tenant-bench", people=people, service_url=connector.service_url
        )
        messenger = TeamsMessenger(adapter=adapter, db=db, app_id=None)
        run = await run_outbox(
            db,
            connector.stats,
            messenger,
            platform="teams",
            workspace="tenant-bench",
            people=people,
            rate=arguments.rate,
            concurrency=arguments.concurrency,
            seeded=True,
        )
    finally:
        await adapter.aclose()
        connector.stop()
    # Posted counts activities; every person gets the same number of them.
    ideal = run.posted / arguments.rate
    duplicated = run.posted - run.unique * round(run.posted / max(run.unique, 1))
    print(_line(f"{kind}: Teams R={arguments.rate:g} req/s, outbox", run, ideal))
    print(f"{kind}: Teams requests {run.posted} ({run.posted / people:.2f} a person)")
    return {
        f"teams R={arguments.rate:g} completion/(requests/R)": run.seconds / ideal,
        "teams lost": run.recipients - run.unique,
        "teams duplicated (requests)": duplicated,
        "teams requests a person": run.posted / people,
    }


def _planning_line(kind: str, arguments: argparse.Namespace, *, seconds: float, peak: float) -> str:
    """Planning time as a share of the send floor at R, and the peak memory."""
    return (
        f"{kind}: planning {arguments.big:,} people: {seconds:.1f} s "
        f"({seconds / (arguments.big / arguments.rate):.4f} of the send floor at "
        f"R={arguments.rate:g}); peak memory {peak:.0f} MiB"
    )


async def big(kind: str, db: Database, arguments: argparse.Namespace) -> dict[str, float]:
    """Plan N_big people; with --big-send, send them all at an unlimited rate too."""
    if not arguments.big_send:
        seconds, peak = await run_planning(db, people=arguments.big)
        print(_planning_line(kind, arguments, seconds=seconds, peak=peak))
        return {"planning s": seconds, "peak MiB": peak}
    async with _fake_slack(rate=UNLIMITED, latency=arguments.latency) as (fake, messenger):
        run = await run_outbox(
            db,
            fake.stats,
            messenger,
            platform="slack",
            workspace="T-BIG",
            people=arguments.big,
            rate=UNLIMITED,
            concurrency=arguments.concurrency,
        )
    peak = _peak_mib()
    print(_line(f"{kind}: {arguments.big:,} sent, unlimited", run))
    print(_planning_line(kind, arguments, seconds=run.planning, peak=peak))
    return {
        "big planning s": run.planning,
        "big send msg/s": run.per_second,
        "big lost": run.recipients - run.unique,
        "big duplicated": run.duplicates,
        "peak MiB": peak,
    }


PARTS = {
    "unlimited": slack_unlimited,
    "slack": slack_limited,
    "teams": teams_limited,
    "big": big,
}


async def bench(kind: str, arguments: argparse.Namespace) -> dict[str, float]:
    """The chosen parts on one database, each against its own fake platform process."""
    figures: dict[str, float] = {}
    print(
        f"{'run':<40} {'people':>7} {'seconds':>8} {'msg/s':>8} {'msg/cpu':>8} "
        f"{'ratio':>6} {'lost':>5} {'dupes':>5} {'429s':>5}"
    )
    with tempfile.TemporaryDirectory() as directory:
        db = await fresh_database(kind, Path(directory))
        try:
            for part in arguments.parts:
                figures |= await PARTS[part](kind, db, arguments)
        finally:
            await db.dispose()
    return figures


def main() -> None:
    """Parse arguments, run, print the table and a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000, help="N at rate R (Slack)")
    parser.add_argument("--teams-recipients", type=int, default=2_000, help="N at rate R (Teams)")
    parser.add_argument("--rate", type=float, default=50.0, help="R: requests/s allowed")
    parser.add_argument("--unlimited", type=int, default=2_000, help="people at no rate limit")
    parser.add_argument("--big", type=int, default=100_000, help="people planned at once")
    parser.add_argument("--big-send", action="store_true", help="send the big run too")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per call")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--parts", nargs="+", choices=tuple(PARTS), default=["unlimited", "slack", "teams", "big"]
    )
    arguments = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(f"latency {arguments.latency * 1000:g} ms per call, concurrency {arguments.concurrency}")
    summary = {kind: asyncio.run(bench(kind, arguments)) for kind in kinds}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
