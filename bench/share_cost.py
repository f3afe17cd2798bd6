"""Benchmark: the CPU cost of one share (`handlers.sharing.share`) in process, next to a floor.

The floor is a unit of work running as many `SELECT 1` as a share makes trips to the database
(statements through SQLAlchemy or sent to asyncpg, and on SQLite each `content_store.one_trip`
program as one):
what the database layer costs before any of our SQL does anything. Both are timed in the same
run.

    .venv/bin/python -m bench.share_cost --database both
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text

from bench.workload import fresh_database, seed_people
from captions.template_writer import TemplateCaptionWriter
from content_store import one_trip, sqlite_driver
from content_store.database import Database
from content_store.models import ContentItem
from domain.networks import Network
from domain.programme import ContentStatus
from handlers.context import Services
from handlers.sharing import ShareRequest, share
from handlers.types import Actor

NETWORKS = (Network.LINKEDIN, Network.X, Network.BLUESKY, Network.FACEBOOK)


async def _cpu_ms(run: Callable[[int], Awaitable[None]], *, count: int) -> float:
    """CPU milliseconds per call of `run` (this process, the database thread included)."""
    started = time.process_time()
    for number in range(count):
        await run(number)
    return (time.process_time() - started) / count * 1000


@dataclass(frozen=True)
class Workload:
    """2,000 seeded people and the active items they share, with plain services."""

    services: Services
    people: list[str]
    items: list[int]

    def sharer(self, services: Services | None = None) -> Callable[[int], Awaitable[None]]:
        """One share per call, a random person, item and network (the same order every time)."""
        chosen = services or self.services
        chooser = random.Random(1)  # noqa: S311 - a workload, not a secret

        async def one_share(number: int) -> None:
            actor = Actor("slack", "T-COST", chooser.choice(self.people))
            request = ShareRequest(
                chooser.choice(self.items), chooser.choice(NETWORKS), f"Mine {number}"
            )
            await share(chosen, actor, request)

        return one_share


async def workload(db: Database) -> Workload:
    """Seed `db` with the people and library the share benchmarks use."""
    _, people = await seed_people(db, workspace="T-COST", people=2000)
    async with db.session() as session:
        query = select(ContentItem.id).where(ContentItem.status == ContentStatus.ACTIVE)
        items = list((await session.execute(query)).scalars())
    services = Services(
        db=db, captions=TemplateCaptionWriter(), public_base_url="https://boost.example.org"
    )
    return Workload(services, people, items)


async def measure(kind: str, directory: Path, *, count: int) -> tuple[float, float, float]:
    """Share CPU ms, trips per share, and the floor's CPU ms on one database."""
    db = await fresh_database(kind, directory)
    try:
        one_share = (await workload(db)).sharer()
        await _cpu_ms(one_share, count=200)  # warm caches and the statement cache
        statements = _counter(db)
        share_ms = await _cpu_ms(one_share, count=count)
        per_share = statements[0] / count
        floor_ms = await _cpu_ms(_floor(db, round(per_share)), count=count)
        return share_ms, per_share, floor_ms
    finally:
        await db.dispose()


def _counter(db: Database) -> list[int]:
    """Trips to the database from now on: statements through SQLAlchemy, whole programs run in
    one call on SQLite's thread, and on PostgreSQL each program statement sent to asyncpg."""
    counted = [0]

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _count(*_: object) -> None:
        counted[0] += 1

    if db.is_postgresql:  # a program's statements skip SQLAlchemy's execution (and its events)
        compiling = one_trip.compiled

        def compiled(*args: Any, **kwargs: Any) -> Any:
            counted[0] += 1
            return compiling(*args, **kwargs)

        setattr(one_trip, "compiled", compiled)  # noqa: B010 - a counting wrapper

    whole = sqlite_driver.OneHopConnection.run_program

    async def run_program(self: sqlite_driver.OneHopConnection, *args: Any, **kwargs: Any) -> Any:
        counted[0] += 1
        return await whole(self, *args, **kwargs)

    setattr(sqlite_driver.OneHopConnection, "run_program", run_program)  # noqa: B010 - a counting wrapper
    return counted


def _floor(db: Database, statements: int) -> Callable[[int], Awaitable[None]]:
    async def run(_: int) -> None:
        async with db.session() as session:
            for _ in range(statements):
                await session.execute(text("SELECT 1"))

    return run


def main() -> None:
    """Parse arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--shares", type=int, default=2000)
    arguments = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(f"{'database':<12} {'share ms':>9} {'trips':>10} {'floor ms':>9} {'ratio':>6}")
    for kind in kinds:
        with tempfile.TemporaryDirectory() as directory:
            share_ms, statements, floor_ms = asyncio.run(
                measure(kind, Path(directory), count=arguments.shares)
            )
        ratio = share_ms / floor_ms
        print(f"{kind:<12} {share_ms:>9.2f} {statements:>10.1f} {floor_ms:>9.2f} {ratio:>6.2f}")


if __name__ == "__main__":
    main()
