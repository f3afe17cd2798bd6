"""Programs of statements: stored exactly as SQLAlchemy stores them, one hop on SQLite, and
errors and rollbacks as a statement's."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import bindparam, event, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from content_store import one_trip
from content_store.database import Database
from content_store.events import INSERT_EVENT, event_row, record_event
from content_store.models import Event, Link, Person, Workspace
from content_store.one_trip import Program, Rows
from content_store.people import get_or_create_person, get_or_create_workspace
from content_store.sharing import link_for
from content_store.upsert import table_of
from domain.errors import InvalidInput
from domain.events import EventType
from domain.networks import Network
from domain.programme import ProgrammeStatus
from tests.factories import add_item

AT = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


async def _people(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id="T1")
        person = await get_or_create_person(session, workspace_id=workspace.id, external_id="U1")
        return workspace.id, person.id


def _events(rows: list[dict[str, Any]]) -> Program[int]:
    count = 0
    for row in rows:
        yield INSERT_EVENT, row
        count += 1
    return count


async def test_a_programs_rows_are_stored_exactly_as_sqlalchemys(db: Database) -> None:
    workspace_id, person_id = await _people(db)
    fields: dict[str, Any] = {
        "workspace_id": workspace_id,
        "person_id": person_id,
        "type": EventType.PICKS_SHOWN,
        "payload": {"source": "dm", "note": "café ☕", "n": 3},
        "at": AT,
    }
    async with db.session() as session:
        await record_event(session, **fields)
    async with db.session() as session:
        assert await one_trip.run(session, _events([event_row(**fields)])) == 1
    async with db.session() as session:
        # The stored text itself (dates, JSON, enums), not what SQLAlchemy reads back from it.
        raw = text(
            "SELECT workspace_id, person_id, content_id, type, payload, created_at, nudge"
            " FROM events ORDER BY id"
        )
        stored = (await session.execute(raw)).all()
        read = (await session.execute(select(Event).order_by(Event.id))).scalars().all()
    assert len(stored) == 2
    assert stored[0] == stored[1]
    assert [event.created_at for event in read] == [AT, AT]
    assert all(event.nudge for event in read)  # a DM's picks: the default computed, as before


async def test_on_sqlite_a_whole_program_is_one_call_on_the_database_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.is_postgresql:
        pytest.skip("one call on a thread is SQLite's; PostgreSQL runs a statement at a time")
    workspace_id, person_id = await _people(db)
    calls: list[str] = []
    original: Any = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", "?"))
        return await original(self, fn, *args, **kwargs)

    rows = [
        event_row(workspace_id=workspace_id, person_id=person_id, type=EventType.REMINDED, at=AT)
        for _ in range(5)
    ]
    async with db.session() as session:
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        await one_trip.run(session, _events(rows))
        monkeypatch.undo()
    assert calls == ["_drive"]
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 5


async def test_no_statement_of_a_program_goes_through_sqlalchemys_execution(
    db: Database,
) -> None:
    workspace_id, _ = await _people(db)
    executed: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        executed.append(statement)

    rows = [event_row(workspace_id=workspace_id, type=EventType.REMINDED, at=AT)] * 3
    async with db.session() as session:
        await session.execute(select(1))  # the unit's transaction is open
        event.listen(db.engine.sync_engine, "before_cursor_execute", note)
        try:
            assert await one_trip.run(session, _events(rows)) == 3
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", note)
    assert executed == []
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 3


def test_the_installed_sqlalchemy_is_a_release_the_asyncpg_path_was_read_against() -> None:
    assert one_trip._ASYNCPG_SUPPORTED, (
        f"SQLAlchemy {version('sqlalchemy')}: compare one_trip._on_asyncpg with its asyncpg "
        f"adapter, run this file, then widen {one_trip.ASYNCPG_ADAPTER_READ_AGAINST}"
    )


async def test_a_failing_statement_is_sqlalchemys_error_and_undoes_the_whole_unit(
    db: Database,
) -> None:
    workspace_id, person_id = await _people(db)
    item_id = await add_item(db, slug="launch", now=AT)
    async with db.session() as session:
        await link_for(session, person_id=person_id, content_id=item_id, network=Network.X, now=AT)
    async with db.session() as session:
        (code,) = (await session.execute(select(Link.code))).one()

    def clashing() -> Program[None]:
        yield INSERT_EVENT, event_row(workspace_id=workspace_id, type=EventType.REMINDED, at=AT)
        # A second link under an existing code: the unique index refuses it.
        yield (
            insert(table_of(Link)),
            {
                "code": code,
                "person_id": person_id,
                "content_id": item_id,
                "network": Network.BLUESKY,
                "created_at": AT,
            },
        )

    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await record_event(session, workspace_id=workspace_id, type=EventType.REMINDED)
            await one_trip.run(session, clashing())
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 0
        assert await session.scalar(select(func.count()).select_from(Link)) == 1


async def test_text_the_database_would_refuse_is_the_persons_error_and_writes_nothing(
    db: Database,
) -> None:
    workspace_id, _ = await _people(db)

    def refused() -> Program[None]:
        yield INSERT_EVENT, event_row(workspace_id=workspace_id, type=EventType.REMINDED, at=AT)
        yield (
            INSERT_EVENT,
            event_row(
                workspace_id=workspace_id, type=EventType.REMINDED, payload={"x": "a\x00b"}, at=AT
            ),
        )

    with pytest.raises(InvalidInput):
        async with db.session() as session:
            await one_trip.run(session, refused())
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 0


async def test_a_program_that_raises_between_statements_writes_nothing(db: Database) -> None:
    workspace_id, _ = await _people(db)

    def changes_its_mind() -> Program[None]:
        rows: Rows = yield (
            INSERT_EVENT,
            event_row(workspace_id=workspace_id, type=EventType.REMINDED, at=AT),
        )
        assert rows == []  # an INSERT without RETURNING returns no rows
        raise InvalidInput("test.refused", "No.")

    with pytest.raises(InvalidInput, match="No"):
        async with db.session() as session:
            await one_trip.run(session, changes_its_mind())
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 0


async def test_a_column_with_a_python_default_left_out_is_refused(db: Database) -> None:
    workspace_id, _ = await _people(db)
    row = event_row(workspace_id=workspace_id, type=EventType.REMINDED, at=AT)
    del row["nudge"]  # SQLAlchemy would compute it; the one-hop path would store false

    with pytest.raises(ValueError, match="nudge"):
        async with db.session() as session:
            await one_trip.run(session, _events([row]))
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 0


def _read(workspace_id: int) -> Program[Rows]:
    # Dates, an enum and a boolean, LIMITs inside subqueries (values the statement carries).
    def latest(column: Any) -> Any:
        return (
            select(column)
            .where(Event.workspace_id == Workspace.id)
            .order_by(Event.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    rows = yield (
        select(
            Workspace.id,
            Workspace.paused,
            Workspace.created_at,
            latest(Event.created_at),
            latest(Event.payload),
            select(Person.status)
            .where(Person.workspace_id == Workspace.id)
            .limit(1)
            .scalar_subquery(),
        ).where(Workspace.id == bindparam("workspace")),
        {"workspace": workspace_id},
    )
    return rows


async def test_a_programs_rows_come_back_as_sqlalchemy_reads_them(db: Database) -> None:
    workspace_id, _ = await _people(db)
    async with db.session() as session:
        await record_event(
            session,
            workspace_id=workspace_id,
            type=EventType.PICKS_SHOWN,
            payload={"source": "dm"},
            at=AT,
        )
    async with db.session() as session:
        through_program = list(await one_trip.run(session, _read(workspace_id)))
        statement, values = next(_read(workspace_id))
        through_session = list((await session.execute(statement, dict(values))).all())
    assert [tuple(row) for row in through_program] == [tuple(row) for row in through_session]
    (row,) = through_program
    assert row[1] is False and isinstance(row[2], datetime) and row[3] == AT
    assert row[4] == {"source": "dm"} and row[5] is ProgrammeStatus.NOT_ASKED


async def test_run_is_a_unit_of_work_committed_in_the_same_trip(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace_id, _ = await _people(db)
    rows = [event_row(workspace_id=workspace_id, type=EventType.REMINDED, at=AT)] * 2
    calls: list[str] = []
    original: Any = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", "?"))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    assert await db.run(_events(rows)) == 2
    monkeypatch.undo()
    if not db.is_postgresql:
        assert calls == ["_drive_and_commit"]  # the program and its commit: one hop
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 2


async def test_run_on_postgresql_opens_no_session_and_no_sqlalchemy_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BEGIN, the statements and COMMIT go to asyncpg's connection: nothing through
    SQLAlchemy's execution, no session made, and the rows are there afterwards."""
    if not db.is_postgresql:
        pytest.skip("SQLite's unit is one call on its thread (above)")
    workspace_id, _ = await _people(db)
    made: list[object] = []
    monkeypatch.setattr(db, "sessions", lambda: made.append(1))  # any session would fail
    executed: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        executed.append(statement)

    rows = [event_row(workspace_id=workspace_id, type=EventType.REMINDED, at=AT)] * 2
    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        assert await db.run(_events(rows)) == 2
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)
    monkeypatch.undo()
    assert made == [] and executed == []
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 2


async def test_run_undoes_everything_when_the_program_raises(db: Database) -> None:
    workspace_id, _ = await _people(db)

    def changes_its_mind() -> Program[None]:
        yield INSERT_EVENT, event_row(workspace_id=workspace_id, type=EventType.REMINDED, at=AT)
        raise InvalidInput("test.refused", "No.")

    with pytest.raises(InvalidInput, match="No"):
        await db.run(changes_its_mind())
    # The connection went back to the pool clean: the next unit sees nothing and can write.
    assert (
        await db.run(
            _events([event_row(workspace_id=workspace_id, type=EventType.REMINDED, at=AT)])
        )
        == 1
    )
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 1


async def test_run_inside_one_transaction_joins_it_and_is_undone_with_it(db: Database) -> None:
    workspace_id, _ = await _people(db)
    row = event_row(workspace_id=workspace_id, type=EventType.REMINDED, at=AT)
    async with db.one_transaction():
        assert await db.run(_events([row])) == 1
        with pytest.raises(InvalidInput):
            async with db.session() as session:
                await record_event(session, workspace_id=workspace_id, type=EventType.REMINDED)
                raise InvalidInput("test.refused", "No.")
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 0
