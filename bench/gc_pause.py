"""Benchmark: how long a full garbage collection stops the server, before and after freezing.

Builds the whole server as `socialboost serve` does (settings, a fresh SQLite database, every
platform), then times full collections (`gc.collect()`) as they are, and again after
`gc.freeze()` — what `bot.cli` does once start-up is over.

    .venv/bin/python -m bench.gc_pause
"""

from __future__ import annotations

import asyncio
import gc
import os
import tempfile
import time
from pathlib import Path

ROUNDS = 3


def _collections() -> list[float]:
    """Milliseconds of each of ROUNDS full collections."""
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        gc.collect()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def _assembled(folder: Path) -> object:
    from bot.app import assemble
    from bot.platforms import ServeOptions
    from bot.settings import Settings
    from content_store.database import Database

    url = f"sqlite+aiosqlite:///{folder / 'gc.db'}"
    os.environ["DATABASE_URL"] = url
    db = Database(url)
    await db.upgrade()
    return assemble(Settings(), db, options=ServeOptions(port=0))


def main() -> None:
    """Build the server, time full collections, freeze, time them again."""
    with tempfile.TemporaryDirectory() as folder:
        application = asyncio.run(_assembled(Path(folder)))
        tracked = len(gc.get_objects())
        before = _collections()
        gc.freeze()
        after = _collections()
        print(f"objects tracked after start-up: {tracked:,} (frozen: {gc.get_freeze_count():,})")
        print(f"{'full collection':<28} {'ms per round':>30}")
        print(f"{'as it is':<28} {' '.join(f'{t:9.1f}' for t in before):>30}")
        print(f"{'after gc.freeze()':<28} {' '.join(f'{t:9.1f}' for t in after):>30}")
        del application


if __name__ == "__main__":
    main()
