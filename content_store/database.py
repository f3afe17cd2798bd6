"""Engine and session factory for SQLite or PostgreSQL, and migrations run from code."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from content_store import one_trip, text_guard
from content_store.one_trip import Program, WholeProgramConnection
from content_store.text_guard import storable_json

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Set while the current task runs inside a SQLite unit of work, so nested ones do not wait on it.
_IN_UNIT: ContextVar[bool] = ContextVar("in_sqlite_unit", default=False)
# A pooled PostgreSQL connection idle this long is pinged before use (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 1.0


@dataclass
class _Shared:
    """The transaction every unit of work inside `Database.one_transaction()` joins."""

    session: AsyncSession
    failed: bool = False
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class _Undone(Exception):
    """Rolls a shared transaction back after a unit inside it failed (and was answered)."""


_SHARED: ContextVar[_Shared | None] = ContextVar("shared_transaction", default=None)
_Result = TypeVar("_Result")


class Database:
    """One engine and its session factory; `session()` is a unit of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = _create_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def is_postgresql(self) -> bool:
        """True when the database is PostgreSQL (advisory locks, SKIP LOCKED)."""
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A transaction: committed when the block ends, rolled back whole on any error.

        Inside `one_transaction()` it is that transaction's session instead, committed (or
        rolled back) with everything else in it.
        """
        shared = _SHARED.get()
        if shared is not None:
            try:
                yield shared.session
            except BaseException:
                shared.failed = True  # its writes must not be committed with the others'
                raise
            return
        if self.is_postgresql or _IN_UNIT.get():
            async with self._unit() as session:
                yield session
            return
        # SQLite has one writer. Units of work that overlap in this process would otherwise
        # meet at its file lock, where the losers sleep in SQLite's busy handler (up to 100 ms
        # a try) instead of being woken the moment the writer is done: take turns here.
        async with self._turn():
            token = _IN_UNIT.set(True)
            try:
                async with self._unit() as session:
                    yield session
            finally:
                _IN_UNIT.reset(token)

    async def run(self, program: Program[_Result]) -> _Result:
        """A `content_store.one_trip` program as a unit of work: committed when it returns,
        rolled back whole when it raises. Inside `one_transaction()` it joins that transaction.

        On SQLite the program and its commit are one call on the database's thread (no
        session, no ORM: one hop for the whole unit); on PostgreSQL its BEGIN, statements and
        COMMIT go straight to asyncpg's connection, with no session around them; elsewhere a
        session runs it.
        """
        if _SHARED.get() is None and self.is_postgresql:
            async with self.engine.connect() as connection:
                raw = (await connection.get_raw_connection()).dbapi_connection
                if one_trip.runs_units_on(raw):
                    try:
                        return await one_trip.unit_on_asyncpg(raw, program, connection.dialect)
                    except DBAPIError as error:
                        # As SQLAlchemy's execution would for a disconnect; a connection the
                        # server closed during the unit (it said why, not "closed") too.
                        if error.connection_invalidated or one_trip.is_closed(raw):
                            error.connection_invalidated = True
                            await connection.invalidate()
                        raise
        if _SHARED.get() is None and not self.is_postgresql and not _IN_UNIT.get():
            async with self._turn():
                token = _IN_UNIT.set(True)
                try:
                    async with self.engine.connect() as connection:
                        raw = (await connection.get_raw_connection()).dbapi_connection
                        if isinstance(raw, WholeProgramConnection):
                            return await raw.run_program(program, connection.dialect, commit=True)
                    async with self._unit() as session:  # SQLite's stock adapter
                        return await one_trip.run(session, program)
                finally:
                    _IN_UNIT.reset(token)
        async with self.session() as session:
            return await one_trip.run(session, program)

    @asynccontextmanager
    async def one_transaction(self) -> AsyncIterator[None]:
        """One transaction for every unit of work opened in the block: committed together at
        its end, or rolled back together when any of them failed, even if that failure was
        caught and answered inside the block. For steps that only touch the database: a call
        to anything outside inside the block would hold the transaction (on SQLite, the one
        writer's turn) while it waits.
        """
        try:
            async with self.session() as session:
                shared = _Shared(session)
                token = _SHARED.set(shared)
                try:
                    yield
                finally:
                    _SHARED.reset(token)
                if shared.failed:
                    raise _Undone
        except _Undone:
            return
        for note in shared.after_commit:
            note()

    def after_commit(self, note: Callable[[], None]) -> None:
        """Call `note` once the current unit of work is committed: now, when called after a
        unit's block, or at the end of the `one_transaction()` being run."""
        shared = _SHARED.get()
        if shared is None:
            note()
        else:
            shared.after_commit.append(note)

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session

    def _turn(self) -> asyncio.Lock:
        # One lock per event loop: tests and the CLI may run several loops over one engine.
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = asyncio.Lock()
        return turn

    async def ping(self) -> None:
        """Raise when the database cannot answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def upgrade(self) -> None:
        """Apply every Alembic migration not yet applied."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade_to_head)

    async def revision(self, message: str, *, directory: Path | None = None) -> Path:
        """Write a migration for what the models have and the migrated database lacks
        (Alembic autogenerate), after upgrading to head; returns its path. It goes into
        `directory` if given, else beside the other migrations."""
        await self.upgrade()
        async with self.engine.begin() as connection:
            return await connection.run_sync(_autogenerate, message, directory)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _create_engine(url: str, *, echo: bool) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, echo=echo, pool_size=10, json_serializer=storable_json)
        _ping_when_idle(engine)
        text_guard.install(engine.sync_engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    driver = _sqlite_dbapi()
    engine = create_async_engine(
        url,
        echo=echo,
        connect_args={"timeout": 30},
        json_serializer=storable_json,
        **({} if driver is None else {"module": driver}),
    )
    event.listen(engine.sync_engine, "connect", _configure_sqlite)
    text_guard.install(engine.sync_engine)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection with a round trip only when it has been idle a while.

    SQLAlchemy's `pool_pre_ping` pings on every checkout, and asyncpg's ping is three round
    trips (BEGIN, `;`, ROLLBACK): 0.36-0.63 ms of CPU per unit of work, a third of a unit of
    one statement (`python -m bench.unit_cost`, bench/RESULTS.md). A connection
    used within the last second was alive then; should the server restart in that second, the
    statement that meets the dead connection fails as a disconnect, which invalidates the
    whole pool, so every later unit gets a fresh connection (tests/faults/test_postgres_restart).
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _rest(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")  # none yet: a connection just made
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool throws this connection away and checks out another (a new one if need be).
            raise DisconnectionError("pooled connection is gone") from error


def _sqlite_dbapi() -> ModuleType | None:
    """The one-hop SQLite driver, or None for SQLAlchemy's stock aiosqlite adapter when the
    installed libraries are not releases the driver supports (or lack what it imports)."""
    try:
        from content_store import sqlite_driver
    except ImportError as error:
        log.warning("SQLite one-hop driver off, using the stock aiosqlite adapter: %s", error)
        return None
    return sqlite_driver.one_hop_dbapi()


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers work during writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Safe with WAL: a crash of the app loses nothing; only a power cut may lose the last commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def next_revision_id(head: str | None, message: str) -> str:
    """`0010_what_changed` after `0009_...`: numbered, so the folder lists in order."""
    number = int(head.split("_", 1)[0]) + 1 if head else 1
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40].rstrip("_")
    return f"{number:04d}_{slug or 'revision'}"


def _autogenerate(connection: Connection, message: str, directory: Path | None) -> Path:
    config = alembic_config()
    config.attributes["connection"] = connection
    # The file is named by its revision id alone: versions/0010_what_changed.py.
    config.set_main_option("file_template", "%%(rev)s")
    if directory is not None:
        config.set_main_option("path_separator", "os")
        config.set_main_option(
            "version_locations", os.pathsep.join([str(MIGRATIONS_DIR / "versions"), str(directory)])
        )
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        # Written in the project's style (ruff is there wherever the dev extras are).
        config.set_section_option("post_write_hooks", "hooks", "fix, format")
        for name, options in (("fix", "check --fix --quiet"), ("format", "format --quiet")):
            config.set_section_option("post_write_hooks", f"{name}.type", "exec")
            config.set_section_option("post_write_hooks", f"{name}.executable", str(ruff))
            config.set_section_option(
                "post_write_hooks", f"{name}.options", f"{options} REVISION_SCRIPT_FILENAME"
            )
    head = ScriptDirectory.from_config(config).get_current_head()
    script = command.revision(
        config,
        message=message,
        autogenerate=True,
        rev_id=next_revision_id(head, message),
        version_path=None if directory is None else str(directory),
    )
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def _upgrade_to_head(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
