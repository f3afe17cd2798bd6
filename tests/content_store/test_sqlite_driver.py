"""SQLite statements in one aiosqlite thread hop: same results, same errors, fewer hops."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from packaging.specifiers import SpecifierSet
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

import content_store
from content_store import sqlite_driver
from content_store.database import Database
from content_store.sqlite_driver import OneHopCursor

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("body", String(20), unique=True, nullable=False),
)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield db
    await db.dispose()


async def test_rows_rowcount_lastrowid_and_returning_are_those_of_sqlite(
    database: Database,
) -> None:
    async with database.engine.begin() as connection:
        added = await connection.execute(insert(notes).values(body="a"))
        assert added.inserted_primary_key == (1,)
        returned = await connection.execute(
            insert(notes).values(body="b").returning(notes.c.id, notes.c.body)
        )
        assert returned.all() == [(2, "b")]
        many = await connection.execute(insert(notes), [{"body": "c"}, {"body": "d"}])
        assert many.rowcount == 2
        changed = await connection.execute(text("UPDATE notes SET body = body || '!'"))
        assert changed.rowcount == 4
        rows = (await connection.execute(select(notes.c.body).order_by(notes.c.id))).scalars()
        assert list(rows) == ["a!", "b!", "c!", "d!"]


async def test_errors_arrive_as_sqlalchemy_errors_and_roll_the_unit_back(
    database: Database,
) -> None:
    async with database.session() as session:
        await session.execute(insert(notes).values(body="once"))
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            await session.execute(insert(notes).values(body="other"))
            await session.execute(insert(notes).values(body="once"))
    with pytest.raises(OperationalError, match="no such table"):
        async with database.session() as session:
            await session.execute(text("SELECT * FROM missing"))
    async with database.session() as session:
        bodies = (await session.execute(select(notes.c.body))).scalars().all()
    assert bodies == ["once"]  # the failed unit left nothing behind


async def test_a_statement_is_one_call_on_the_database_thread(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original: Any = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.dbapi_connection.cursor(), OneHopCursor)  # type: ignore[union-attr]
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        await connection.execute(select(notes.c.id))
        await connection.execute(insert(notes).values(body="x"))
        assert calls == ["_run", "_run"]  # the stock adapter makes four calls of each


def test_the_installed_sqlalchemy_and_aiosqlite_are_releases_the_driver_supports() -> None:
    # Fails after a lock bump past sqlite_driver.SUPPORTED: the driver would silently be off.
    # Compare its classes with the new releases' adapter source, run this file, widen the range.
    assert sqlite_driver.unsupported_versions() == [], (
        "SQLAlchemy or aiosqlite is outside what content_store/sqlite_driver.py was written for"
    )


async def test_unsupported_releases_get_the_stock_adapter_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sqlite_driver, "SUPPORTED", {"sqlalchemy": SpecifierSet("<2")})
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'stock.db'}")
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(insert(notes).values(body="stock"))
            raw = await connection.get_raw_connection()
            assert not isinstance(raw.dbapi_connection, sqlite_driver.OneHopConnection)
            rows = await connection.execute(select(notes.c.body))
            assert rows.scalars().all() == ["stock"]
    finally:
        await db.dispose()
    assert "stock aiosqlite adapter: sqlalchemy" in caplog.text


async def test_a_driver_that_cannot_be_imported_gives_the_stock_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As when a new SQLAlchemy no longer has the private classes the driver subclasses.
    monkeypatch.setitem(sys.modules, "content_store.sqlite_driver", None)
    monkeypatch.delattr(content_store, "sqlite_driver")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'stock.db'}")
    try:
        async with db.engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
            raw = await connection.get_raw_connection()
            assert not isinstance(raw.dbapi_connection, sqlite_driver.OneHopConnection)
    finally:
        await db.dispose()
    assert "SQLite one-hop driver off" in caplog.text
