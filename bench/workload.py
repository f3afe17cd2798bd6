"""What the benchmarks share: a fake Slack in its own process, a fresh database, seeded people."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from content_store.database import Database
from content_store.demo import seed_demo_content
from content_store.models import Person
from content_store.people import get_or_create_workspace
from domain.programme import ProgrammeStatus

ROOT = Path(__file__).resolve().parents[1]
BENCH_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/socialboost_bench"

FAKE = """
import asyncio, sys
import tests.bot.slack.fake_slack as fake_slack
from tests.bot.slack.fake_slack import FakeSlack
if sys.argv[3] == "unchecked":
    fake_slack.message_problems = lambda blocks: []
async def main():
    slack = FakeSlack(team_id="T-BENCH", latency=float(sys.argv[2]))
    slack.rate_limit_per_second = float(sys.argv[1])
    await slack.start()
    print(slack.root_url, flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


class FakeSlackProcess:
    """The fake Web API in a child process, so it does not share the measured process's CPU."""

    # Whether the fake checks each message's Block Kit, as the test suite's does.
    checks_blocks = True

    def __init__(self, *, rate: float, latency: float) -> None:
        checks = "checked" if self.checks_blocks else "unchecked"
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", FAKE, str(rate), str(latency), checks],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        self.root = self.process.stdout.readline().strip()

    async def stats(self) -> dict[str, int]:
        """Messages posted, distinct recipients, duplicates and 429 answers so far."""
        async with aiohttp.ClientSession() as session, session.get(f"{self.root}/stats") as r:
            return dict(await r.json())

    def stop(self) -> None:
        """End the child process."""
        self.process.terminate()
        self.process.wait(timeout=10)


def database_url(kind: str, directory: Path) -> str:
    """A SQLite file in `directory`, or the benchmark's PostgreSQL database."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    return os.environ.get("BENCH_DATABASE_URL", BENCH_POSTGRES)


async def fresh_database(kind: str, directory: Path) -> Database:
    """An empty, migrated database of `kind` (PostgreSQL's is dropped and made anew)."""
    url = database_url(kind, directory)
    if kind != "sqlite":
        await _recreate_postgres(url)
    db = Database(url)
    await db.upgrade()
    return db


async def _recreate_postgres(url: str) -> None:
    parsed = make_url(url)
    admin = Database(parsed.set(database="postgres").render_as_string(hide_password=False))
    async with admin.engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
        await connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    await admin.dispose()


def _profile(person: str) -> dict[str, Any]:
    """What the fake Slack's users.info says of `person` (bench.http_load's sink)."""
    return {
        "locale": "en",
        "timezone": "Europe/Amsterdam",
        "display_name": person,
        "email": f"{person.lower()}@example.com",
    }


async def seed_people(
    db: Database, *, workspace: str, people: int, platform: str = "slack", profiles: bool = False
) -> tuple[int, list[str]]:
    """A workspace with the demo library and `people` participants; its id and their ids.

    With `profiles`, each person already has the language, time zone, name and address the
    benchmarks' fake platforms report, as someone who joined through `/boost in` would.
    """
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform=platform, external_id=workspace)
        await seed_demo_content(session, workspace_id=ws.id, now=datetime.now(UTC))
        ids = [f"{workspace}-U{index:06d}" for index in range(people)]
        rows: list[dict[str, Any]] = [
            {"workspace_id": ws.id, "external_id": person, "status": ProgrammeStatus.IN}
            | (_profile(person) if profiles else {})
            for person in ids
        ]
        for start in range(0, len(rows), 1000):
            await session.execute(insert(Person), rows[start : start + 1000])
        return ws.id, ids
