"""The migrations match the models, and the database helpers behave."""

from __future__ import annotations

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
