"""Benchmark: how long a regrouping holds up the event loop, with and without the CPU worker.

Writes the synthetic organisation of bench/insights_load.py (smaller by default) to a SQLite
file once, then regroups it repeatedly while a ticker measures the event loop's longest stall,
next to the ticker alone (the floor a busy machine sets), three ways: everything but the
queries on the loop (what regrouping did before issue 17); the per-person raw figures built on
the loop and handed to the CPU worker as objects (issue 17); and
`handlers.insights.regroup_workspace` as it runs (the queries' rows fetched into columns a
batch at a time, figures and groups built in the worker, stored in batches); and the same with
every query streamed through a server-side cursor, as regrouping fetched before issue 17's
PostgreSQL fix (on SQLite the two are the same). `--url` measures an existing database instead
(PostgreSQL's, say, as bench/insights_load.py left it), and `--ways` picks some of the ways.

    .venv/bin/python -m bench.regroup_lag --people 5000 --events 500000 --folder runs/lag
    .venv/bin/python -m bench.regroup_lag --url postgresql+asyncpg://…/bench_pgload \
        --ways idle streamed now
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

from bench.insights_load import NOW, generate
from bench.workload import database_url
from captions import TemplateCaptionWriter
from content_store.analytics import insights as queries
from content_store.analytics.insights import (
    content_team_marks,
    store_placements,
    workspace_raws,
)
from content_store.database import Database
from handlers.context import Services
from handlers.insights import regroup_workspace
from insights.grouping import Thresholds, group_workspace
from offload.worker import run_bounded

TICK = 0.01


async def on_the_loop(db: Database, workspace_id: int) -> None:
    """The baseline: the same steps, with signals and groups computed on the event loop."""
    thresholds = Thresholds()
    async with db.session() as session:
        raws = await workspace_raws(session, workspace_id=workspace_id)
        marks = await content_team_marks(session, workspace_id=workspace_id)
    placements = group_workspace(raws, now=NOW, thresholds=thresholds, marks=marks)
    async with db.session() as session:
        await store_placements(session, workspace_id=workspace_id, placements=placements, now=NOW)


async def objects_to_worker(db: Database, workspace_id: int) -> None:
    """Issue 17's way: raw figures built on the loop, pickled to the worker as objects."""
    thresholds = Thresholds()
    async with db.session() as session:
        raws = await workspace_raws(session, workspace_id=workspace_id)
        marks = await content_team_marks(session, workspace_id=workspace_id)
    placements = await run_bounded(
        group_workspace, raws, now=NOW, thresholds=thresholds, marks=marks, seconds=300.0
    )
    async with db.session() as session:
        await store_placements(session, workspace_id=workspace_id, placements=placements, now=NOW)


async def streamed(services: Services, workspace_id: int) -> None:
    """`regroup_workspace` with every query streamed through a server-side cursor, as before
    PostgreSQL's per-person figures were fetched whole (patched in for this call only)."""

    def every_query_streamed(session: Any, query: Any, kinds: str, **_: Any) -> Any:
        return queries._streamed_columns(session, query, kinds)

    with patch.object(queries, "_columns", every_query_streamed):
        await regroup_workspace(services, workspace_id=workspace_id)


async def stalls(work: Awaitable[object]) -> tuple[float, float]:
    """Seconds the work took, and the event loop's longest stall meanwhile."""
    worst = 0.0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal worst
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(TICK)
            worst = max(worst, time.perf_counter() - started - TICK)

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await work
    took = time.perf_counter() - started
    done.set()
    await ticker
    return took, worst


WAYS = ("idle", "loop", "objects", "streamed", "now")


async def measure(url: str, rounds: int, chosen: list[str], *, freeze: bool = False) -> None:
    """Alternate the chosen ways, `rounds` times each, and print every figure; with `freeze`,
    after freezing the heap as a server does at the end of its start-up (bot.cli)."""
    db = Database(url)
    services = Services(db=db, captions=TemplateCaptionWriter(), public_base_url="https://x.org")
    await regroup_workspace(services, workspace_id=1)  # start the worker first
    if freeze:
        gc.collect()
        gc.freeze()
    ways: dict[str, tuple[str, Callable[[], Awaitable[object]]]] = {
        # The floor: what the machine's other work alone does to the ticker meanwhile.
        "idle": ("idle (1.5 s sleep)", lambda: asyncio.sleep(1.5)),
        "loop": ("on the loop", lambda: on_the_loop(db, 1)),
        "objects": ("objects to worker", lambda: objects_to_worker(db, 1)),
        "streamed": ("rows to worker, streamed", lambda: streamed(services, 1)),
        "now": ("rows to worker (now)", lambda: regroup_workspace(services, workspace_id=1)),
    }
    print(f"{'round':>5} {'way':<26} {'seconds':>8} {'longest stall s':>16}")
    for round_number in range(1, rounds + 1):
        for key in chosen:
            name, way = ways[key]
            took, worst = await stalls(way())
            print(f"{round_number:>5} {name:<26} {took:>8.2f} {worst:>16.2f}", flush=True)
    await db.dispose()


def main() -> None:
    """Generate once (if the folder has no database yet), then measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", type=Path, help="a SQLite file here, written if missing")
    parser.add_argument("--url", help="measure this existing database instead")
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS))
    parser.add_argument(
        "--freeze", action="store_true", help="freeze the heap first, as `serve` does"
    )
    arguments = parser.parse_args()
    if arguments.url:
        asyncio.run(
            measure(arguments.url, arguments.rounds, arguments.ways, freeze=arguments.freeze)
        )
        return
    if arguments.folder is None:
        parser.error("--folder or --url is needed")
    arguments.folder.mkdir(parents=True, exist_ok=True)
    if not (arguments.folder / "bench.db").exists():
        generating = argparse.Namespace(
            people=arguments.people, events=arguments.events, seed=1, database="sqlite"
        )
        asyncio.run(generate("sqlite", arguments.folder, generating))
    url = database_url("sqlite", arguments.folder)
    asyncio.run(measure(url, arguments.rounds, arguments.ways, freeze=arguments.freeze))


if __name__ == "__main__":
    main()
