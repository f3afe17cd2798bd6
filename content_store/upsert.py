"""INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Base


async def insert_or_ignore(
    session: AsyncSession,
    model: type[Base],
    values: dict[str, Any],
    *,
    conflict_columns: Sequence[str],
) -> bool:
    """Insert one row unless a row with the same `conflict_columns` exists; True if inserted.

    Concurrent callers (double clicks, retried events, parallel replicas) race safely here:
    the database, not Python, decides who wins.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(model).values(**values).on_conflict_do_nothing(index_elements=list(conflict_columns))
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
