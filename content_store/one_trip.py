"""A unit of work's statements sent to the database in one trip where the driver allows it.

A `Program` is a generator: it yields a Core statement with its values, receives the rows the
statement returned, decides on the next one, and returns its result. On SQLite through the
one-hop driver the whole program runs in one call on aiosqlite's thread (one thread hop for
every statement in it, instead of one each); on PostgreSQL its statements go straight to
asyncpg's connection, without SQLAlchemy's execution machinery around each; elsewhere (other
releases, SQLite's stock adapter) a statement at a time through the session. Either way it
runs inside the session's transaction, which commits or rolls back as usual, and a failing
statement raises SQLAlchemy's error (IntegrityError, OperationalError, ...).

Rules for a program, since on the one-hop path SQLAlchemy only compiles its statements:
- every column with a Python-side default is given a value (none is filled in);
- statements that change rows say RETURNING when the program needs to know what changed.
Rows come back as SQLAlchemy's Core would return them: its result processors turn SQLite's
text into datetimes, enums and booleans on every path.

`content_store.database.Database.run` runs a program as a unit of work of its own: on SQLite
the commit is in the same call, so a whole unit is one hop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from typing import Any, Protocol, TypeVar, runtime_checkable

from packaging.specifiers import SpecifierSet
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Executable, Insert

from domain.text import require_storable

_Result = TypeVar("_Result")
Step = tuple[Executable, Mapping[str, Any]]
Rows = Sequence[Sequence[Any]]
Program = Generator[Step, Rows, _Result]


@runtime_checkable
class WholeProgramConnection(Protocol):
    """A DBAPI connection that can run a whole program in one call (the SQLite one-hop one)."""

    async def run_program(
        self, program: Program[_Result], dialect: Dialect, *, commit: bool = False
    ) -> _Result:
        """Run every step of `program` and return its result (with `commit`, as a unit of
        work of its own: committed, or rolled back if anything in it raised)."""
        ...


@dataclass(frozen=True)
class Compiled:
    """A statement compiled for one dialect and one set of value names: its SQL and how the
    values become the driver's positional parameters (SQLAlchemy's own type conversions)."""

    sql: str
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    # SQLAlchemy's result processor of each column the statement returns (None: as it comes).
    results: tuple[Callable[[Any], Any] | None, ...] = ()
    # Values the statement carries itself (a LIMIT's, a literal's in a subquery).
    constants: Mapping[str, Any] | None = None

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The driver's parameters for `values`, checked as every statement's are."""
        require_storable(values)
        if self.constants:
            values = {**self.constants, **values}
        return tuple(
            values[name] if convert is None else convert(values[name])
            for name, convert in self.binds
        )

    def rows(self, fetched: Rows) -> Rows:
        """The driver's rows with each column converted as SQLAlchemy converts it."""
        if not any(self.results):
            return fetched
        results = self.results
        return [
            tuple(
                value if convert is None else convert(value)
                for convert, value in zip(results, row, strict=True)
            )
            for row in fetched
        ]


@lru_cache(maxsize=128)
def require_defaults_given(statement: Executable, names: tuple[str, ...]) -> None:
    """Refuse an INSERT whose values leave out a column with a Python-side default: the
    one-hop path would store the server's default (or NULL) instead, silently."""
    if not isinstance(statement, Insert):
        return
    lacking = [
        column.key
        for column in statement.table.columns
        if column.default is not None and column.key not in names
    ]
    if lacking:
        raise ValueError(f"a program must give values for {', '.join(lacking)}")


@lru_cache(maxsize=128)
def compiled(statement: Executable, dialect: Dialect, names: tuple[str, ...]) -> Compiled:
    """Compiled once per statement, dialect and value names (the names pick an INSERT's
    columns). Positional parameters only: SQLite's `?`, asyncpg's `$1`."""
    require_defaults_given(statement, names)
    # Inline: no RETURNING of the new row's key added behind the program's back (PostgreSQL).
    plain: Any = statement.inline() if isinstance(statement, Insert) else statement
    done: Any = plain.compile(dialect=dialect, column_keys=list(names))
    order = tuple(done.positiontup or ())
    constants = {
        name: done.binds[name].effective_value
        for name in order
        if name not in names and not done.binds[name].required
    }
    missing = [name for name in order if name not in names and name not in constants]
    if missing:
        raise ValueError(f"values missing for {', '.join(missing)}")
    processors = done._bind_processors  # SQLAlchemy's per-type conversions (private, pinned)
    # The driver's type code is not known before a run; SQLite gives none, and none of the
    # types the models use on asyncpg looks at it.
    results = tuple(
        column.type._cached_result_processor(dialect, None) for column in done._result_columns
    )
    return Compiled(
        done.string,
        tuple((name, processors.get(name)) for name in order),
        results,
        constants or None,
    )


async def run(session: AsyncSession, program: Program[_Result]) -> _Result:
    """Run `program` in the session's transaction: whole in one call on SQLite's thread, on
    asyncpg's connection directly, else a statement at a time through the session."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.dbapi_connection
    if isinstance(driver, WholeProgramConnection):
        return await driver.run_program(program, connection.dialect)
    if _ASYNCPG_SUPPORTED and isinstance(driver, AsyncAdapt_asyncpg_connection):
        return await _on_asyncpg(driver, program, connection.dialect)

    async def through_session(statement: Executable, values: Mapping[str, Any]) -> Rows:
        require_defaults_given(statement, tuple(values))
        result = await session.execute(statement, dict(values))
        return result.all() if result.returns_rows else []  # type: ignore[attr-defined]

    return await _driven(program, through_session)


async def _driven(
    program: Program[_Result],
    execute: Callable[[Executable, Mapping[str, Any]], Awaitable[Rows]],
) -> _Result:
    """Every step of `program`, each statement run by `execute`; the program's result."""
    try:
        statement, values = next(program)
        while True:
            statement, values = program.send(await execute(statement, values))
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]


# SQLAlchemy's asyncpg adapter as read for `_on_asyncpg` (its private attributes); with another
# release the program runs a statement at a time through the session: slower, never wrong.
# tests/content_store/test_one_trip.py fails when the installed release is outside.
ASYNCPG_ADAPTER_READ_AGAINST = SpecifierSet("~=2.1.0")
_ASYNCPG_SUPPORTED = ASYNCPG_ADAPTER_READ_AGAINST.contains(version("sqlalchemy"))


def _on_the_connection(
    adapted: Any, dialect: Dialect
) -> Callable[[Executable, Mapping[str, Any]], Awaitable[Rows]]:
    """Runs one statement on asyncpg's connection, its errors as SQLAlchemy's."""

    async def execute(statement: Executable, values: Mapping[str, Any]) -> Rows:
        done = compiled(statement, dialect, tuple(values))
        try:
            fetched = await adapted._connection.fetch(done.sql, *done.parameters(values))
        except Exception as error:
            raise _as_sqlalchemys(adapted, error, dialect) from error
        return done.rows(fetched)

    return execute


async def _on_asyncpg(adapted: Any, program: Program[_Result], dialect: Dialect) -> _Result:
    """Every statement on asyncpg's connection without SQLAlchemy's execution around each,
    in the transaction SQLAlchemy's adapter keeps (begun here if the unit has not yet)."""
    async with adapted._execute_mutex:
        if adapted._transaction is None:
            await adapted._start_transaction()
        return await _driven(program, _on_the_connection(adapted, dialect))


def runs_units_on(driver: Any) -> bool:
    """Whether `unit_on_asyncpg` may run a unit of work on this DBAPI connection."""
    return _ASYNCPG_SUPPORTED and isinstance(driver, AsyncAdapt_asyncpg_connection)


def is_closed(adapted: Any) -> bool:
    """Whether asyncpg's connection behind the adapter is closed (the server ended it)."""
    return bool(adapted._connection.is_closed())


async def unit_on_asyncpg(adapted: Any, program: Program[_Result], dialect: Dialect) -> _Result:
    """`program` as a unit of work of its own on a connection just taken from the pool: BEGIN,
    its statements and COMMIT on asyncpg's connection (ROLLBACK if anything raised), with no
    session or SQLAlchemy transaction around them. A failed COMMIT is SQLAlchemy's error too;
    when the ROLLBACK after a failure fails as well (the connection is gone), the first error
    is the one raised, so that a disconnect is seen as one."""
    on_the_connection = _on_the_connection(adapted, dialect)
    async with adapted._execute_mutex:
        if adapted._transaction is not None:  # never on a fresh connection; not ours to end
            return await _driven(program, on_the_connection)
        try:
            await adapted._start_transaction()
        except Exception as error:  # the adapter's own error type: SQLAlchemy's, as for BEGIN
            raise _as_sqlalchemys(adapted, error, dialect) from error
        transaction = adapted._transaction
        try:
            result = await _driven(program, on_the_connection)
        except BaseException:
            if transaction is not None:
                with suppress(Exception):
                    await adapted._call_and_discard(transaction.rollback)
            raise
        if transaction is not None:
            try:
                await adapted._call_and_discard(transaction.commit)
            except Exception as error:
                raise _as_sqlalchemys(adapted, error, dialect) from error
        return result


def _as_sqlalchemys(adapted: Any, error: Exception, dialect: Dialect) -> BaseException:
    """asyncpg's error as SQLAlchemy raises it for a statement (IntegrityError, ...)."""
    base = dialect.loaded_dbapi.Error
    try:
        adapted._handle_exception(error)  # raises the adapter's DBAPI-style error
    except base as translated:
        return DBAPIError.instance(
            None,
            None,
            translated,
            base,
            connection_invalidated=dialect.is_disconnect(translated, None, None),
            dialect=dialect,
        )
    except Exception as other:
        return other
    return error
