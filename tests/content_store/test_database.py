"""The migrations match the models, and the database helpers behave."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from content_store.database import Database
from content_store.models import Base, Workspace


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
