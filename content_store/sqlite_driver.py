"""SQLite through aiosqlite in one thread hop per statement instead of SQLAlchemy's four.

aiosqlite runs every call on its own thread and wakes the event loop for each answer.
SQLAlchemy's adapter makes a cursor, executes, fetches and closes as four such calls; each
hop costs a thread switch and, since a SQLite unit of work holds the single-writer turn while
it waits, the hops of one click delay every other click. Here a statement is executed,
fetched and closed by one function on aiosqlite's thread. Behaviour is the stock adapter's:
same connection, same transactions, same errors (translated by the same code).

The classes below subclass SQLAlchemy's private adapter and call aiosqlite's private `_execute`:
they are used only with the releases in SUPPORTED, and the stock adapter otherwise.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import deque
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from types import ModuleType
from typing import Any, TypeVar

import aiosqlite
from packaging.specifiers import SpecifierSet
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.util import EMPTY_DICT

from content_store.one_trip import Program, compiled

log = logging.getLogger(__name__)

# The releases whose internals this module was read against and tested with. A lock bump
# outside them turns the one-hop driver off (the stock adapter is slower, not wrong) and fails
# tests/content_store/test_sqlite_driver.py, until someone has compared the classes below with
# the new source, run those tests and widened the range here.
SUPPORTED: Mapping[str, SpecifierSet] = {
    "sqlalchemy": SpecifierSet("~=2.1.0"),
    "aiosqlite": SpecifierSet("~=0.22.0"),
}

_Result = TypeVar("_Result")
# What one statement leaves behind: description, rowcount, lastrowid and the rows.
_Outcome = tuple[Any, int, int | None, list[Any]]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """Runs on aiosqlite's thread: execute, fetch everything, close."""
    cursor = connection.cursor()
    try:
        cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _run_many(connection: sqlite3.Connection, operation: str, rows: Sequence[Any]) -> _Outcome:
    """Runs on aiosqlite's thread: executemany and close."""
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, rows)
        return None, cursor.rowcount, cursor.lastrowid, []
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement is one call on aiosqlite's thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")
    # Nothing to close on the thread: the real cursor is closed where it ran.
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        """The last statement's column description (None for statements without rows)."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        """The rowid of the last inserted row."""
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        """Rows per fetchmany() by default."""
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._connection._execute(
                _run, self._connection._conn, operation, parameters
            )
        self._keep(outcome)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._connection._execute(
                _run_many, self._connection._conn, operation, seq_of_parameters
            )
        self._keep(outcome)

    def _keep(self, outcome: _Outcome) -> None:
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = deque(rows)


def _drive(connection: sqlite3.Connection, program: Program[Any], dialect: Dialect) -> Any:
    """Runs on aiosqlite's thread: every statement of `program`, in the open transaction."""
    cursor = connection.cursor()
    try:
        statement, values = next(program)
        while True:
            done = compiled(statement, dialect, tuple(values))
            cursor.execute(done.sql, done.parameters(values))
            statement, values = program.send(done.rows(cursor.fetchall()))
    except StopIteration as finished:
        return finished.value
    finally:
        cursor.close()


def _drive_and_commit(
    connection: sqlite3.Connection, program: Program[Any], dialect: Dialect
) -> Any:
    """Runs on aiosqlite's thread: `program` as a whole unit of work, committed at its end and
    rolled back if anything in it raised."""
    try:
        result = _drive(connection, program, dialect)
    except BaseException:
        connection.rollback()
        raise
    connection.commit()
    return result


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection, handing out one-hop cursors."""

    __slots__ = ()
    _cursor_cls = OneHopCursor

    async def run_program(
        self, program: Program[_Result], dialect: Dialect, *, commit: bool = False
    ) -> _Result:
        """A whole `content_store.one_trip` program in one call on aiosqlite's thread; with
        `commit`, its own unit of work (committed, or rolled back, in the same call).

        SQLite's errors reach the caller as SQLAlchemy's, as a statement's would."""
        drive = _drive_and_commit if commit else _drive
        async with self._execute_mutex:
            try:
                result: _Result = await self._connection._execute(
                    drive, self._connection._conn, program, dialect
                )
            except sqlite3.Error as error:
                raise DBAPIError.instance(
                    None, None, error, sqlite3.Error, dialect=dialect
                ) from error
        return result

    def rollback(self) -> None:
        """Roll back, without a trip to aiosqlite's thread when no transaction is open.

        The pool rolls back every connection it takes back, so after each commit the stock
        adapter spent a hop (a seventh of a share's) on a no-op. `in_transaction` only reads
        SQLite's autocommit flag, which any thread may do while no statement runs.
        """
        raw = self._connection._connection
        if raw is not None and not raw.in_transaction:
            return
        super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy sees: the stock adapter, with one-hop connections."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        """Connect as the stock adapter does, then wrap the connection in ours."""
        stock = super().connect(*arg, **kw)
        return OneHopConnection(self, stock._connection)


def unsupported_versions() -> list[str]:
    """The installed libraries outside SUPPORTED, as 'name version (supported: range)'."""
    return [
        f"{name} {version(name)} (supported: {supported})"
        for name, supported in SUPPORTED.items()
        if not supported.contains(version(name), prereleases=True)
    ]


def one_hop_dbapi() -> ModuleType | None:
    """The module to pass as `create_async_engine(..., module=...)` for SQLite; None (use the
    stock adapter) when the installed SQLAlchemy or aiosqlite is not a supported release."""
    outside = unsupported_versions()
    if outside:
        log.warning(
            "SQLite one-hop driver off, using SQLAlchemy's stock aiosqlite adapter: %s",
            ", ".join(outside),
        )
        return None
    module: Any = OneHopDBAPI(aiosqlite, sqlite3)
    return module  # type: ignore[no-any-return]
