"""Benchmark: where a regrouping's time goes, query by query and phase by phase.

On an existing database (one `bench/insights_load.py` wrote), times each query of
`content_store.analytics.insights.workspace_rows` fetched three ways: streamed a batch at a time
(a server-side cursor on PostgreSQL, which never runs in parallel), with 500 or 10,000 rows a
round trip, and fetched whole as one row of arrays (PostgreSQL only; it may then run the query
with parallel workers), alternating; then the content team's marks, the CPU
worker's start, pickling the rows, the worker's part, the same in process, storing the groups,
and the whole `handlers.insights.regroup_workspace`.

    .venv/bin/python -m bench.regroup_breakdown --url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_pgload
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import time
from array import array
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.sql import Executable

from bench.insights_load import NOW, opened
from content_store.analytics import insights as queries
from content_store.analytics.insights import BATCH, content_team_marks, store_placed
from content_store.database import Database
from handlers.context import Services
from handlers.insights import REGROUP_SECONDS, regroup_workspace
from insights.grouping import Thresholds
from insights.rows import NULL, regroup_rows
from offload.worker import run_bounded

BIG_FETCH = 10_000

QUERIES: dict[str, tuple[Callable[[int], Executable], str]] = {
    "people": (queries._people, "qsb"),
    "event counts": (queries._event_counts, "q" * (len(queries._COUNT_NAMES) + 3)),
    "shares": (queries._shares, "qqqq"),
    "requests for tips": (queries._help_ask_rows, "qqs"),
    "rewrites": (queries._rewrites, "qd"),
    "chosen topics": (queries._chosen, "qq"),
    "liked items": (queries._liked, "qq"),
    "content topics": (queries._content_topics, "qq"),
    "clicks": (queries._clicks, "qq"),
    "teams": (queries._teams, "qq"),
}


async def streamed(db: Database, query: Executable, kinds: str, fetch: int = BATCH) -> int:
    """The query through a server-side cursor, `fetch` rows a round trip, a batch per turn of
    the loop; rows read."""
    async with db.session() as session:
        connection = await session.connection()
        result = await connection.stream(query, execution_options={"yield_per": fetch})
        columns = [[] if kind == "s" else array(kind) for kind in kinds]
        async for batch in result.partitions(BATCH):
            _extend(columns, batch)
            await asyncio.sleep(0)
    return len(columns[0])


async def whole(db: Database, query: Executable, kinds: str) -> int:
    """The query fetched in one go as one row of arrays, as regrouping fetches the per-person
    aggregates on PostgreSQL (`_whole_columns`); rows read."""
    async with db.session() as session:
        columns = await queries._whole_columns(session, query, kinds)  # type: ignore[arg-type]
    return len(columns[0])


def _extend(columns: list[Any], batch: Any) -> None:
    for column, values in zip(columns, zip(*batch, strict=True), strict=True):
        column.extend(NULL if value is None else value for value in values)


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """Seconds the work took, and its result."""
    started = time.perf_counter()
    result = await work()
    return time.perf_counter() - started, result


def _nothing() -> None:
    return None


async def main(url: str, rounds: int, *, phases: bool) -> None:
    """Print every figure."""
    db, services, workspace_id = await opened(url)
    ways: dict[str, Callable[[Executable, str], Awaitable[int]]] = {
        f"streamed {BATCH}": lambda query, kinds: streamed(db, query, kinds),
        f"streamed {BIG_FETCH}": lambda query, kinds: streamed(db, query, kinds, BIG_FETCH),
        "whole": lambda query, kinds: whole(db, query, kinds),
    }
    print(f"{'query':<20} {'rows':>8}" + "".join(f" {name + ' s':>16}" for name in ways))
    for name, (build, kinds) in QUERIES.items():
        query = build(workspace_id)
        times: dict[str, list[float]] = {way: [] for way in ways}
        count = 0
        for _ in range(rounds):
            for way, fetch in ways.items():
                took, count = await timed(lambda f=fetch, q=query, k=kinds: f(q, k))  # type: ignore[misc]
                times[way].append(took)
        figures = "".join(f" {min(times[way]):>16.2f}" for way in ways)
        print(f"{name:<20} {count:>8}{figures}", flush=True)
    if phases:
        await _phases(db, services, workspace_id)
    await db.dispose()


async def _phases(db: Database, services: Services, workspace_id: int) -> None:
    thresholds = Thresholds()
    took, _ = await timed(lambda: run_bounded(_nothing, seconds=60.0))
    print(f"start the CPU worker: {took:.2f} s", flush=True)

    async def fetch_rows() -> Any:
        async with db.session() as session:
            return await queries.workspace_rows(session, workspace_id=workspace_id)

    took, rows = await timed(fetch_rows)
    print(f"workspace_rows (as regrouping fetches): {took:.2f} s", flush=True)

    async def fetch_marks() -> Any:
        async with db.session() as session:
            return await content_team_marks(session, workspace_id=workspace_id)

    took, marks = await timed(fetch_marks)
    print(f"content team marks: {took:.2f} s", flush=True)
    started = time.perf_counter()
    size = len(pickle.dumps(rows))
    print(f"pickle the rows: {time.perf_counter() - started:.2f} s ({size / 2**20:.1f} MiB)")

    async def in_worker() -> Any:
        return await run_bounded(
            regroup_rows,
            rows,
            now=NOW,
            thresholds=thresholds,
            marks=marks,
            seconds=REGROUP_SECONDS,
        )

    took, placed = await timed(in_worker)
    print(f"the worker's part, with the trip both ways: {took:.2f} s", flush=True)
    started = time.perf_counter()
    regroup_rows(rows, now=NOW, thresholds=thresholds, marks=marks)
    print(f"the same in process: {time.perf_counter() - started:.2f} s", flush=True)

    async def store() -> None:
        async with db.session() as session:
            await store_placed(session, workspace_id=workspace_id, placed=placed, now=NOW)

    took, _ = await timed(store)
    print(f"store the groups: {took:.2f} s", flush=True)
    took, _ = await timed(lambda: regroup_workspace(services, workspace_id=workspace_id))
    print(f"regroup_workspace, whole: {took:.2f} s", flush=True)


def run() -> None:
    """Parse arguments and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="an existing database's URL")
    parser.add_argument("--rounds", type=int, default=2, help="fetches of each query each way")
    parser.add_argument("--queries-only", action="store_true", help="skip the other phases")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.url, arguments.rounds, phases=not arguments.queries_only))


if __name__ == "__main__":
    run()
