"""Benchmark: what a unit of work costs in CPU before any of our SQL does anything, layer by layer.

Each line is one `SELECT 1` (or none) through one more layer of the stack a share click uses:
the driver alone, SQLAlchemy's connection, a unit of work (`Database.session()`: session,
transaction, commit), and a unit of four statements (a share's count). On PostgreSQL the unit
is also timed as it was before pings were limited to idle connections (`pool_pre_ping`: a ping
of three round trips on every checkout), alternating with today's in the same rounds.

    .venv/bin/python -m bench.unit_cost --database both
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import literal, select

from bench.workload import database_url
from content_store.database import Database
from content_store.sqlite_driver import _run

ONE = select(literal(1))


async def _cpu_ms(run: Callable[[], Awaitable[object]], *, count: int) -> float:
    for _ in range(count // 10):  # warm the statement cache and the pool
        await run()
    started = time.process_time()
    for _ in range(count):
        await run()
    return (time.process_time() - started) / count * 1000


def _units(db: Database, statements: int) -> Callable[[], Awaitable[None]]:
    async def unit() -> None:
        async with db.session() as session:
            for _ in range(statements):
                (await session.execute(ONE)).scalar()

    return unit


async def measure(url: str, *, count: int, rounds: int) -> None:
    """Print each layer's CPU ms per call, `rounds` times."""
    db = Database(url)
    pinging = Database(url)
    if db.is_postgresql:  # as before: SQLAlchemy's ping on every checkout
        pinging.engine.sync_engine.pool._pre_ping = True
    try:
        async with db.engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None

            async def raw() -> object:
                if db.is_postgresql:
                    return await driver.fetchval("SELECT 1")
                return await driver._execute(_run, driver._connection, "SELECT 1", ())

            async def core() -> object:
                return (await connection.execute(ONE)).scalar()

            layers = [("driver alone", raw), ("SQLAlchemy connection", core)]
            for number in range(1, rounds + 1):
                figures = [(name, await _cpu_ms(run, count=count)) for name, run in layers]
                print(f"{db.engine.dialect.name} round {number}", _line(figures))
        for number in range(1, rounds + 1):
            figures = [
                ("unit, 1 statement", await _cpu_ms(_units(db, 1), count=count)),
                ("unit, 4 statements", await _cpu_ms(_units(db, 4), count=count)),
            ]
            if db.is_postgresql:
                before = await _cpu_ms(_units(pinging, 1), count=count)
                figures.append(("unit, 1 statement, ping every checkout", before))
            print(f"{db.engine.dialect.name} round {number}", _line(figures))
    finally:
        await db.dispose()
        await pinging.dispose()


def _line(figures: list[tuple[str, float]]) -> str:
    return "  ".join(f"{name}: {ms:.3f} ms" for name, ms in figures)


def main() -> None:
    """Parse arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    for kind in kinds:
        with tempfile.TemporaryDirectory() as directory:
            url = database_url(kind, Path(directory))
            asyncio.run(measure(url, count=arguments.count, rounds=arguments.rounds))


if __name__ == "__main__":
    main()
