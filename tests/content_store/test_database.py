"""The migrations match the models, and the database helpers behave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from content_store import database
from content_store.database import Database
from content_store.models import Base, Workspace
from content_store.one_trip import Program


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_create_exactly_the_models(db: Database) -> None:
    async with db.engine.connect() as connection:
        differences = await connection.run_sync(_diff)
    assert differences == []


async def test_session_rolls_back_everything_on_error(db: Database) -> None:
    try:
        async with db.session() as session:
            session.add(Workspace(platform="slack", external_id="T1"))
            await session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    async with db.session() as session:
        count = (await session.execute(text("SELECT count(*) FROM workspaces"))).scalar_one()
    assert count == 0


async def test_upgrade_is_repeatable(db: Database) -> None:
    await db.upgrade()
    await db.ping()


async def test_units_of_work_on_sqlite_take_turns_and_may_nest(db: Database) -> None:
    if db.is_postgresql:
        return  # PostgreSQL runs them side by side
    order: list[str] = []
    first_inside = asyncio.Event()

    async def unit(name: str, *, hold: asyncio.Event | None = None) -> None:
        async with db.session() as session:
            order.append(f"{name} in")
            session.add(Workspace(platform="slack", external_id=name))
            if hold is not None:
                first_inside.set()
                await hold.wait()
            async with db.session() as inner:  # a nested unit joins, it does not wait
                await inner.execute(text("SELECT 1"))
            order.append(f"{name} out")

    release = asyncio.Event()
    first = asyncio.create_task(unit("T-A", hold=release))
    await first_inside.wait()
    second = asyncio.create_task(unit("T-B"))
    await asyncio.sleep(0.05)  # the second unit is waiting for its turn, not writing
    assert order == ["T-A in"]
    release.set()
    await asyncio.gather(first, second)
    assert order == ["T-A in", "T-A out", "T-B in", "T-B out"]


@pytest.fixture
async def one_connection(db: Database) -> AsyncIterator[Database]:
    """The PostgreSQL database with its pool emptied before and after: the test's first unit
    makes the one connection that every later unit reuses, and no dead one is left behind."""
    if not db.is_postgresql:
        pytest.skip("SQLite has no server connection to check")
    await db.engine.dispose()
    yield db
    await db.engine.dispose()


async def _backend_pid(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(db: Database, pid: int) -> None:
    """End a server process from outside the pool, as a restart or an idle timeout would."""
    killer = create_async_engine(db.url, poolclass=NullPool)
    async with killer.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    await killer.dispose()


def _count_pings(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    dialect = db.engine.sync_engine.dialect
    real, pings = dialect.do_ping, [0]

    def counted(dbapi_connection: Any) -> bool:
        pings[0] += 1
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


async def test_a_postgres_connection_in_steady_use_is_not_pinged(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not db.is_postgresql:
        pytest.skip("SQLite has no server connection to check")
    pings = _count_pings(db, monkeypatch)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    for _ in range(5):
        await db.ping()
    assert pings == [0]
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    await db.ping()
    assert pings == [1]


async def test_an_idle_postgres_connection_the_server_closed_is_replaced_unseen(
    one_connection: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = one_connection
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    first = await _backend_pid(db)
    await _terminate(db, first)
    assert await _backend_pid(db) != first  # the ping found it gone; no error reached us


async def test_a_postgres_connection_closed_within_the_second_fails_once_then_all_recover(
    one_connection: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The price of not pinging busy connections: the unit that meets the dead one fails as a
    disconnect, which invalidates the pool, so the next unit works on a fresh connection."""
    db = one_connection
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    first = await _backend_pid(db)
    await _terminate(db, first)
    with pytest.raises(DBAPIError) as failure:
        await _backend_pid(db)
    assert failure.value.connection_invalidated
    assert await _backend_pid(db) != first


def _backend_pid_program() -> Program[int]:
    rows = yield select(func.pg_backend_pid()), {}
    return int(rows[0][0])


async def test_a_program_meeting_a_postgres_connection_closed_fails_once_then_all_recover(
    one_connection: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above, for a unit run as a program straight on asyncpg's connection: its failure
    is a disconnect and invalidates the connection, so the next program gets a fresh one."""
    db = one_connection
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 3600.0)
    first = await db.run(_backend_pid_program())
    await _terminate(db, first)
    with pytest.raises(DBAPIError) as failure:
        await db.run(_backend_pid_program())
    assert failure.value.connection_invalidated
    assert await db.run(_backend_pid_program()) != first


async def test_a_program_whose_connection_dies_midway_fails_as_a_disconnect_then_all_recover(
    one_connection: Database,
) -> None:
    """The server ends the connection during the unit (here the statement asks it to): the
    ROLLBACK that follows fails too, and the error raised is still the disconnect, which
    invalidates the connection, so the next program runs on a fresh one."""
    db = one_connection
    first = await db.run(_backend_pid_program())

    def ended_midway() -> Program[None]:
        yield select(func.pg_terminate_backend(func.pg_backend_pid())), {}

    with pytest.raises(DBAPIError) as failure:
        await db.run(ended_midway())
    assert failure.value.connection_invalidated
    assert await db.run(_backend_pid_program()) != first


async def _workspaces(db: Database) -> list[str]:
    async with db.session() as session:
        query = text("SELECT external_id FROM workspaces ORDER BY external_id")
        return list((await session.execute(query)).scalars())


async def test_units_inside_one_transaction_commit_together_then_note(db: Database) -> None:
    noted: list[str] = []
    async with db.one_transaction():
        for name in ("T1", "T2"):
            async with db.session() as session:
                session.add(Workspace(platform="slack", external_id=name))
            db.after_commit(lambda name=name: noted.append(name))  # type: ignore[misc]
        assert noted == []  # nothing is committed yet
    assert await _workspaces(db) == ["T1", "T2"]
    assert noted == ["T1", "T2"]


async def test_a_unit_that_failed_inside_one_transaction_undoes_all_of_it(db: Database) -> None:
    """Even when the failure was caught and answered inside the block, as a refusal is."""
    noted: list[str] = []
    async with db.one_transaction():
        async with db.session() as session:
            session.add(Workspace(platform="slack", external_id="T1"))
        db.after_commit(lambda: noted.append("T1"))
        try:
            async with db.session() as session:
                session.add(Workspace(platform="slack", external_id="T2"))
                await session.flush()
                raise ValueError("refused")
        except ValueError:
            pass
    assert await _workspaces(db) == []
    assert noted == []
