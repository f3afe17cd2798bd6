"""Every participant's signals for a workspace in a few set-based queries, and their groups."""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, aliased
from sqlalchemy.sql import ColumnElement, Executable, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from content_store.models import (
    Click,
    ContentItem,
    ContentTopic,
    Event,
    Link,
    Person,
    PersonInsight,
    PersonTopic,
    Share,
)
from domain.events import EventType
from domain.programme import ProgrammeStatus
from insights.grouping import Mark, Placement
from insights.rows import NULL, PlacedColumns, WorkspaceRows, raws_of
from insights.signals import (
    FEEDBACK,
    NUDGE_LOOKBACK_SECONDS,
    Raw,
    Signals,
    Timing,
    is_own_help_ask,
    summarise_all,
)

# Words that log a push for everyone in the programme rather than one team.
EVERYONE = frozenset({"everyone", "all", "iedereen"})


class epoch_seconds(FunctionElement[int]):
    """Whole seconds since 1970 of a timestamp column, on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(epoch_seconds)
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # Cut to whole seconds first: strftime rounds milliseconds, Python truncates them.
    column = compiler.process(element.clauses, **kw)
    return f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"


class lookback_start(FunctionElement[datetime]):
    """The earliest moment whose whole second is at most `seconds` before a timestamp column's
    whole second (the start of that second, moved back), comparable with the column itself so
    that an index on it can bound a range; on SQLite and PostgreSQL."""

    inherit_cache = True

    def __init__(self, column: QueryableAttribute[datetime], seconds: int) -> None:
        self.seconds = int(seconds)
        super().__init__(column)


@compiles(lookback_start, "postgresql")
def _lookback_postgresql(element: lookback_start, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"(date_trunc('second', {column}) - make_interval(secs => {element.seconds}))"


@compiles(lookback_start)
def _lookback_sqlite(element: lookback_start, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text, which sorts as time; the
    # whole second without a fraction sorts at its very start.
    column = compiler.process(element.clauses, **kw)
    return f"datetime(substr({column}, 1, 19), '-{element.seconds} seconds')"


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    # FILTER rather than SUM(CASE …): both databases then skip the row early.
    return func.count().filter(condition)


# Rows handed on per turn of the event loop while fetching and storing: each batch is a few
# milliseconds of work, so a regrouping never holds the loop for long.
BATCH = 500


async def workspace_signals(
    session: AsyncSession, *, workspace_id: int, now: datetime, timing: Timing
) -> list[Signals]:
    """Everyone's signals in one workspace: a few set-based queries, whatever its size."""
    raws = await workspace_raws(session, workspace_id=workspace_id)
    return summarise_all(raws, now=now, timing=timing)


async def workspace_raws(session: AsyncSession, *, workspace_id: int) -> list[Raw]:
    """Everyone's raw figures in one workspace (`insights.signals.summarise` turns them into
    signals)."""
    return raws_of(await workspace_rows(session, workspace_id=workspace_id))


async def workspace_rows(session: AsyncSession, *, workspace_id: int) -> WorkspaceRows:
    """Every query's rows for one workspace as columns (a regrouping builds the raw figures
    from them in the CPU worker, off the event loop)."""
    counted = "q" * (len(_COUNT_NAMES) + 3)
    return WorkspaceRows(
        people=await _columns(session, _people(workspace_id), "qsb"),
        count_names=_COUNT_NAMES,
        counts=await _columns(session, _event_counts(workspace_id), counted, aggregate=True),
        shares=await _columns(session, _shares(workspace_id), "qqqq"),
        help_asks=await _help_asks(session, workspace_id=workspace_id),
        rewrites=await _columns(session, _rewrites(workspace_id), "qd", aggregate=True),
        chosen=await _columns(session, _chosen(workspace_id), "qq"),
        liked=await _columns(session, _liked(workspace_id), "qq"),
        content_topics=await _columns(session, _content_topics(workspace_id), "qq"),
        clicks=await _columns(session, _clicks(workspace_id), "qq", aggregate=True),
        teams=await _columns(session, _teams(workspace_id), "qq"),
    )


async def _columns(
    session: AsyncSession, query: Executable, kinds: str, *, aggregate: bool = False
) -> tuple[Any, ...]:
    """The query's rows as columns (see insights.rows.WorkspaceRows), a batch per turn of the
    event loop; `kinds` has one letter per column: q integer, d float, b boolean, s other.

    `aggregate`: the query reads a whole table into one row per person. PostgreSQL fetches
    those whole (`_whole_columns`), everything else is streamed (`_streamed_columns`).
    """
    connection = await session.connection()
    if aggregate and isinstance(query, Select) and connection.dialect.name == "postgresql":
        return await _whole_columns(session, query, kinds)
    return await _streamed_columns(session, query, kinds)


async def _streamed_columns(
    session: AsyncSession, query: Executable, kinds: str
) -> tuple[Any, ...]:
    """The rows through a server-side cursor, a batch at a time.

    Streamed through the session's connection: the ORM would turn every row into a Row at
    once (an async session prebuffers), and a buffered result keeps every row's tuple alive
    until the last is read; enough of those outlive a young collection to set off a full one,
    which holds the loop for a tenth of a second or more in a large process.
    """
    connection = await session.connection()
    result = await connection.stream(query, execution_options={"yield_per": BATCH})
    columns = [_column(kind) for kind in kinds]
    async for batch in result.partitions(BATCH):
        _extend(columns, batch)
        await asyncio.sleep(0)
    return tuple(columns)


async def _whole_columns(
    session: AsyncSession, query: Select[*tuple[Any, ...]], kinds: str
) -> tuple[Any, ...]:
    """PostgreSQL: the query's rows as columns built by the database, in one row of arrays.

    A cursor's query never runs in parallel on PostgreSQL; fetched in one go, an aggregate
    over the event table gets its parallel workers and takes about half the time
    (bench/RESULTS.md, issue 17's PostgreSQL fix). One `array_agg` per column over the same
    rows (an aggregate feeds every one of its columns the rows in the same order) hands the
    columns over as a few lists of numbers: no object per row for the garbage collector to
    walk, where tens of thousands of rows fetched at once set off full collections.
    """
    rows = query.subquery()
    packed = select(*(func.array_agg(column) for column in rows.c))
    connection = await session.connection()
    values = (await connection.execute(packed)).one()
    return tuple(_column_of(kind, column or []) for kind, column in zip(kinds, values, strict=True))


def _column_of(kind: str, values: list[Any]) -> Any:
    if None in values:
        values = [NULL if value is None else value for value in values]
    return values if kind == "s" else array(kind, values)


def _extend(columns: list[Any], batch: Sequence[Any]) -> None:
    for column, values in zip(columns, zip(*batch, strict=True), strict=True):
        column.extend(NULL if value is None else value for value in values)


def _column(kind: str) -> Any:
    return [] if kind == "s" else array(kind)


def _people(workspace_id: int) -> Executable:
    return select(Person.id, Person.status, Person.invited_at.is_not(None)).where(
        Person.workspace_id == workspace_id
    )


_COUNTED = (
    EventType.INVITED,
    EventType.REMINDED,
    EventType.CONTENT_SUGGESTED,
    EventType.NUDGED_ELSEWHERE,
)
_COUNT_NAMES = (*(kind.value for kind in _COUNTED), "feedback", "picks_dm")


def _event_counts(workspace_id: int) -> Executable:
    """Counts per person and kind of event, and when they first joined and were reminded."""
    return (
        select(
            Event.person_id,
            *(_count(Event.type == kind.value) for kind in _COUNTED),
            _count(Event.type.in_(sorted(FEEDBACK))),
            _count(and_(Event.type == EventType.PICKS_SHOWN.value, Event.nudge == true())),
            _first(EventType.OPTED_IN),
            _first(EventType.REMINDED),
        )
        .where(Event.workspace_id == workspace_id, Event.person_id.is_not(None))
        .group_by(Event.person_id)
    )


def _first(event_type: EventType) -> ColumnElement[int]:
    return func.min(epoch_seconds(Event.created_at)).filter(Event.type == event_type.value)


def _shares(workspace_id: int) -> Executable:
    """Every share intent with the moment of the latest nudge before it.

    The shares come person by person from the partial index of share intents; each takes its
    person's latest nudge at or before it from the partial index of nudges by (person, time):
    one step down that index, bounded to NUDGE_LOOKBACK_SECONDS in whole seconds (a nudge at
    the very moment of a share counts as before it). Python turns the gap into the continuous
    own-accord measure.
    """
    share = aliased(Event)
    nudge = aliased(Event)
    latest = (
        select(func.max(nudge.created_at))
        .where(
            nudge.person_id == share.person_id,
            nudge.nudge == true(),
            nudge.created_at <= share.created_at,
            nudge.created_at >= lookback_start(share.created_at, NUDGE_LOOKBACK_SECONDS),
        )
        .correlate(share)
        .scalar_subquery()
    )
    return select(
        share.person_id,
        epoch_seconds(share.created_at),
        epoch_seconds(latest),
        share.content_id,
    ).where(
        share.workspace_id == workspace_id,
        share.person_id.is_not(None),
        # Inline, not bound: only then may the planner (SQLite always, PostgreSQL in a generic
        # plan) use the partial index of share intents.
        share.type == literal_column(f"'{EventType.SHARE_INTENT.value}'"),
    )


async def _help_asks(session: AsyncSession, *, workspace_id: int) -> tuple[Any, ...]:
    """When each person asked for tips on their own (see insights.signals.is_own_help_ask)."""
    people, moments, payloads = await _columns(session, _help_ask_rows(workspace_id), "qqs")
    asks: tuple[Any, ...] = (array("q"), array("q"))
    for person_id, at, payload in zip(people, moments, payloads, strict=True):
        if is_own_help_ask(payload):
            asks[0].append(person_id)
            asks[1].append(at)
    return asks


def _help_ask_rows(workspace_id: int) -> Executable:
    """Every request for tips, with its payload (who was to hear of it)."""
    return select(Event.person_id, epoch_seconds(Event.created_at), Event.payload).where(
        Event.workspace_id == workspace_id,
        Event.person_id.is_not(None),
        Event.type == EventType.HELP_ASKED.value,
    )


def _rewrites(workspace_id: int) -> Executable:
    return (
        select(Share.person_id, func.avg(Share.rewrite_ratio))
        .join(Person, Person.id == Share.person_id)
        .where(Person.workspace_id == workspace_id)
        .group_by(Share.person_id)
    )


def _chosen(workspace_id: int) -> Executable:
    """Topics each person chose."""
    return (
        select(PersonTopic.person_id, PersonTopic.topic_id)
        .join(Person, Person.id == PersonTopic.person_id)
        .where(Person.workspace_id == workspace_id, PersonTopic.chosen.is_(True))
    )


def _liked(workspace_id: int) -> Executable:
    """The items each person asked more of (to infer their topics from)."""
    return select(Event.person_id, Event.content_id).where(
        Event.workspace_id == workspace_id,
        Event.type == EventType.MORE_LIKE_THIS.value,
        Event.content_id.is_not(None),
        Event.person_id.is_not(None),
    )


def _content_topics(workspace_id: int) -> Executable:
    return (
        select(ContentTopic.content_id, ContentTopic.topic_id)
        .join(ContentItem, ContentItem.id == ContentTopic.content_id)
        .where(ContentItem.workspace_id == workspace_id)
    )


def _clicks(workspace_id: int) -> Executable:
    return (
        select(Link.person_id, func.count(Click.id))
        .join(Click, Click.link_id == Link.id)
        .join(Person, Person.id == Link.person_id)
        .where(Person.workspace_id == workspace_id)
        .group_by(Link.person_id)
    )


async def store_placements(
    session: AsyncSession, *, workspace_id: int, placements: Sequence[Placement], now: datetime
) -> None:
    """Replace the workspace's stored groups with these."""
    placed = PlacedColumns.of(placements)
    await store_placed(session, workspace_id=workspace_id, placed=placed, now=now)


class json_text(FunctionElement[Any]):
    """A bound string that is already JSON, stored in a JSON column as it is."""

    inherit_cache = True


@compiles(json_text, "postgresql")
def _json_text_postgresql(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS JSON)"


@compiles(json_text)
def _json_text_sqlite(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps JSON as text; a CAST to JSON there would give the column numeric affinity.
    return compiler.process(element.clauses, **kw)


_STORE = insert(PersonInsight).values(
    evidence=json_text(bindparam("evidence_json", type_=String()))
)


async def store_placed(
    session: AsyncSession, *, workspace_id: int, placed: PlacedColumns, now: datetime
) -> None:
    """Replace the workspace's stored groups with these (as `insights.rows.regroup_rows` makes
    them), a batch per turn of the event loop; the evidence goes in as the JSON text it is."""
    connection = await session.connection()
    await connection.execute(
        delete(PersonInsight).where(PersonInsight.workspace_id == workspace_id)
    )
    if connection.dialect.name == "postgresql":
        await _copy_placed(session, workspace_id=workspace_id, placed=placed, now=now)
        return
    for start in range(0, len(placed), BATCH):
        values = [
            {
                "person_id": person_id,
                "workspace_id": workspace_id,
                "group": group,
                "confidence": confidence,
                "evidence_json": evidence,
                "computed_at": now,
                "sure": bool(sure),
                "headline": headline,
            }
            for person_id, group, confidence, sure, headline, evidence in _placed_rows(
                placed, start
            )
        ]
        await connection.execute(_STORE, values)
        await asyncio.sleep(0)


def _placed_rows(placed: PlacedColumns, start: int) -> Iterator[tuple[Any, ...]]:
    """One batch of the placements as (person, group, confidence, sure, headline, evidence)."""
    columns = (
        placed.person_ids,
        placed.groups,
        placed.confidences,
        placed.sure,
        placed.headlines,
        placed.evidence,
    )
    return zip(*(column[start : start + BATCH] for column in columns), strict=True)


_COPIED = [
    "person_id",
    "workspace_id",
    "group",
    "confidence",
    "sure",
    "headline",
    "evidence",
    "computed_at",
]


async def _copy_placed(
    session: AsyncSession, *, workspace_id: int, placed: PlacedColumns, now: datetime
) -> None:
    """PostgreSQL: the groups in one COPY, in the session's transaction; a third faster than
    batched INSERTs for a large workspace (bench/RESULTS.md, issue 17's PostgreSQL fix).

    The rows are made a batch per turn of the event loop as the COPY takes them, so they never
    all exist at once.
    """

    async def rows() -> AsyncIterator[tuple[Any, ...]]:
        for start in range(0, len(placed), BATCH):
            for person_id, group, confidence, sure, headline, evidence in _placed_rows(
                placed, start
            ):
                yield (
                    person_id,
                    workspace_id,
                    group,
                    confidence,
                    bool(sure),
                    headline,
                    evidence,
                    now,
                )
            await asyncio.sleep(0)

    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # a live connection of the session
    await driver.copy_records_to_table(PersonInsight.__tablename__, records=rows(), columns=_COPIED)


async def insight_of(session: AsyncSession, *, person_id: int) -> PersonInsight | None:
    """A person's stored group, if computed."""
    return await session.get(PersonInsight, person_id)


async def people_in_group(
    session: AsyncSession, *, workspace_id: int, group: str
) -> list[tuple[Person, PersonInsight]]:
    """The people of one group, most certain first."""
    query = (
        select(Person, PersonInsight)
        .join(PersonInsight, PersonInsight.person_id == Person.id)
        .where(PersonInsight.workspace_id == workspace_id, PersonInsight.group == group)
        .order_by(PersonInsight.confidence.desc(), Person.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def asked_content_team(
    session: AsyncSession, *, workspace_id: int, since: datetime
) -> set[int]:
    """People who, since a moment, asked that the content team hear they would like help."""
    query = select(Event.person_id).where(
        Event.workspace_id == workspace_id,
        Event.type == EventType.HELP_ASKED.value,
        Event.created_at >= since,
        Event.payload["share_with_content_team"].as_boolean().is_(True),
    )
    return {pid for pid in (await session.execute(query)).scalars() if pid is not None}


async def content_team_marks(session: AsyncSession, *, workspace_id: int) -> dict[int, Mark]:
    """Each person's latest mark from the content team ("none" takes a mark back)."""
    query = (
        select(Event.person_id, Event.payload)
        .where(
            Event.workspace_id == workspace_id,
            Event.type == EventType.MARKED.value,
            Event.person_id.is_not(None),
        )
        .order_by(Event.created_at, Event.id)
    )
    marks: dict[int, Mark] = {}
    for person_id, payload in await session.execute(query):
        value = (payload or {}).get("mark")
        if value in {m.value for m in Mark}:
            marks[person_id] = Mark(value)
        else:
            marks.pop(person_id, None)
    return marks


async def person_by_user(
    session: AsyncSession, *, workspace_id: int, user_id: str
) -> Person | None:
    """A person of the workspace by their chat user id."""
    query = select(Person).where(Person.workspace_id == workspace_id, Person.external_id == user_id)
    return (await session.execute(query)).scalar_one_or_none()


async def team_members(session: AsyncSession, *, workspace_id: int, team: str) -> list[int]:
    """The people of a team (by name, any case), or everyone in the programme for "everyone"."""
    query = select(Person.id).where(Person.workspace_id == workspace_id)
    if team.casefold() in EVERYONE:
        query = query.where(Person.status == ProgrammeStatus.IN)
    else:
        query = query.where(func.lower(Person.team) == team.casefold())
    return list((await session.execute(query.order_by(Person.id))).scalars())


def _teams(workspace_id: int) -> Executable:
    """Each person's team as a number (the same for names that differ only in case), for the
    team waves; people without a team are left out."""
    name = func.lower(Person.team)
    return select(Person.id, func.dense_rank().over(order_by=name)).where(
        Person.workspace_id == workspace_id, Person.team.is_not(None), Person.team != ""
    )
