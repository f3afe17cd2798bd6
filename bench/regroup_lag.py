"""Benchmark: how long a regrouping holds up the event loop, with and without the CPU worker.

Writes the synthetic organisation of bench/insights_load.py (smaller by default) to a SQLite
file once, then regroups it repeatedly while a ticker measures the event loop's longest stall,
next to the ticker alone (the floor a busy machine sets), three ways: everything but the
queries on the loop (what regrouping did before issue 17); the per-person raw figures built on
the loop and handed to the CPU worker as objects (issue 17); and
`handlers.insights.regroup_workspace` as it runs (the queries' rows fetched into columns a
batch at a time, figures and groups built in the worker, stored in batches).

    .venv/bin/python -m bench.regroup_lag --people 5000 --events 500000 --folder runs/lag
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.insights_load import NOW, generate
from bench.workload import database_url
from captions import TemplateCaptionWriter
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


async def measure(folder: Path, rounds: int) -> None:
    """Alternate the two ways, `rounds` times each, and print every figure."""
    db = Database(database_url("sqlite", folder))
    services = Services(db=db, captions=TemplateCaptionWriter(), public_base_url="https://x.org")
    await regroup_workspace(services, workspace_id=1)  # start the worker first
    ways: dict[str, Callable[[], Awaitable[object]]] = {
        # The floor: what the machine's other work alone does to the ticker meanwhile.
        "idle (1.5 s sleep)": lambda: asyncio.sleep(1.5),
        "on the loop": lambda: on_the_loop(db, 1),
        "objects to worker": lambda: objects_to_worker(db, 1),
        "rows to worker (now)": lambda: regroup_workspace(services, workspace_id=1),
    }
    print(f"{'round':>5} {'way':<22} {'seconds':>8} {'longest stall s':>16}")
    for round_number in range(1, rounds + 1):
        for name, way in ways.items():
            took, worst = await stalls(way())
            print(f"{round_number:>5} {name:<22} {took:>8.2f} {worst:>16.2f}", flush=True)
    await db.dispose()


def main() -> None:
    """Generate once (if the folder has no database yet), then measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", type=Path, required=True)
    arguments = parser.parse_args()
    arguments.folder.mkdir(parents=True, exist_ok=True)
    if not (arguments.folder / "bench.db").exists():
        generating = argparse.Namespace(
            people=arguments.people, events=arguments.events, seed=1, database="sqlite"
        )
        asyncio.run(generate("sqlite", arguments.folder, generating))
    asyncio.run(measure(arguments.folder, arguments.rounds))


if __name__ == "__main__":
    main()
