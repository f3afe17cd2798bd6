"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, emptied between tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.slack.platform import CAPABILITIES as SLACK
from bot.teams.platform import CAPABILITIES as TEAMS
from captions import TemplateCaptionWriter
from content_store.database import Database
from content_store.models import Base
from handlers.context import Services
from links.fetcher import FetchPolicy

# What the real platforms offer, so handler tests see Slack's and Teams' commands and help.
PLATFORM_CAPABILITIES = {"slack": SLACK, "teams": TEAMS}
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# Fails any test in which the fake Slack refused what the app sent (see the plugin); loads the
# Hypothesis profile (few examples locally, many under CI) before any test module is imported.
pytest_plugins = [
    "tests.bot.slack.strict",
    "tests.hypothesis_profiles",
    "tests.publishing.fixtures",
]


def postgres_url() -> str:
    """The PostgreSQL test database (TEST_DATABASE_URL); under pytest-xdist each worker has
    its own, named after it (`test_gw0`, `test_gw1`, ...), since every test empties the tables."""
    url = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        url = url.set(database=f"{url.database}_{worker}")
    return url.render_as_string(hide_password=False)


async def _create_database(url: str) -> None:
    """Create the database of `url` if missing, from the server's maintenance database."""
    target = make_url(url)
    server = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(str(target.database))
                await connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        await server.dispose()


async def _fresh_postgres() -> Database:
    database = Database(postgres_url())
    try:
        if os.environ.get("PYTEST_XDIST_WORKER"):
            await _create_database(database.url)
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    except (OSError, ConnectionError) as error:
        await database.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must run under CI: {error}")
        pytest.skip(f"PostgreSQL not reachable at {postgres_url()}: {error}")
    return database


_databases: dict[str, Database] = {}


async def _migrated(backend: str, tmp_dir: Path) -> Database:
    # Created on first use inside the one session-wide event loop, then reused.
    if backend not in _databases:
        if backend == "sqlite":
            database = Database(f"sqlite+aiosqlite:///{tmp_dir / 'test.db'}")
        else:
            database = await _fresh_postgres()
        await database.upgrade()
        _databases[backend] = database
    return _databases[backend]


@pytest.fixture(scope="session", autouse=True)
async def _dispose_databases() -> AsyncIterator[None]:
    yield
    for database in _databases.values():
        await database.dispose()
    _databases.clear()


async def empty_tables(database: Database) -> None:
    """Remove every row so each test starts from nothing."""
    tables = list(reversed(Base.metadata.sorted_tables))
    async with database.engine.begin() as connection:
        if database.is_postgresql:
            names = ", ".join(table.name for table in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        for table in tables:
            await connection.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """An empty migrated database; every test using it runs on SQLite and on PostgreSQL."""
    tmp_dir = request.getfixturevalue("tmp_path_factory").mktemp("db")
    database = await _migrated(request.param, tmp_dir)
    await empty_tables(database)
    yield database


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    """Monday 2026-11-16 09:00 UTC."""
    return FakeClock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))


@pytest.fixture
def services(db: Database, clock: FakeClock) -> Services:
    """Handler services on the test database, with template captions and the fake clock."""
    return Services(
        db=db,
        captions=TemplateCaptionWriter(),
        public_base_url="https://boost.example.org",
        clock=clock,
        fetch_policy=FetchPolicy(allow_loopback=True, timeout_seconds=2.0),
        platforms=PLATFORM_CAPABILITIES,
    )
