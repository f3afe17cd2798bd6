"""INSERT ... ON CONFLICT for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Table
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
    statement = statement_for(
        session_dialect(session),
        table_of(model),
        tuple(conflict_columns),
        update=None,
        returning=(),
    )
    result = await session.execute(statement, values)
    return bool(getattr(result, "rowcount", 0))


async def upsert_returning(
    session: AsyncSession,
    model: type[Base],
    values: dict[str, Any],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str],
    returning: Sequence[str],
) -> Row[Any]:
    """Insert one row, or update `update_columns` of the row already there; the row's `returning`.

    With no `update_columns` the existing row is left as it is (a no-op update, so that it is
    still returned): one round trip for "get or create", safe under concurrent callers.
    """
    statement = statement_for(
        session_dialect(session),
        table_of(model),
        tuple(conflict_columns),
        update=tuple(update_columns),
        returning=tuple(returning),
    )
    return (await session.execute(statement, values)).one()


def session_dialect(session: AsyncSession) -> str:
    """The name of the dialect the session speaks ("sqlite", "postgresql")."""
    return session.get_bind().dialect.name


def table_of(model: type[Base]) -> Table:
    """The model's table, for Core statements: the ORM's machinery adds nothing for one row."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


@lru_cache(maxsize=64)
def statement_for(
    dialect: str,
    table: Table,
    conflict: tuple[str, ...],
    *,
    update: tuple[str, ...] | None,
    returning: tuple[str, ...],
) -> Any:
    """Built once per shape: building and keying a statement costs more than running it.

    The values come as execution parameters, so one statement serves every row.
    """
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    if update is None:
        ignoring = statement.on_conflict_do_nothing(index_elements=list(conflict))
        return ignoring.returning(*(table.c[name] for name in returning)) if returning else ignoring
    changes = {name: statement.excluded[name] for name in update} or {
        conflict[0]: table.c[conflict[0]]
    }
    statement = statement.on_conflict_do_update(index_elements=list(conflict), set_=changes)
    return statement.returning(*(table.c[name] for name in returning))
