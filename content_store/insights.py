"""Every participant's signals for a workspace in a few set-based queries, and their groups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, delete, exists, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, aliased
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from content_store.models import Click, Event, Link, Person, PersonInsight, PersonTopic, Share
from domain.events import EventType
from insights.grouping import Placement
from insights.signals import FEEDBACK, UNPROMPTED_SOURCES, WEEK_SECONDS, Signals, weeks_between

_WEEK_SHIFT = 3 * 24 * 3600  # weeks start on Monday (see insights.signals.week_number)


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


class seconds_before(FunctionElement[datetime]):
    """A timestamp column moved back by a whole number of seconds, comparable with the column
    itself (so the (person, time) index can bound a range), on SQLite and PostgreSQL."""

    inherit_cache = True

    def __init__(self, column: QueryableAttribute[datetime], seconds: int) -> None:
        self.seconds = int(seconds)
        super().__init__(column)


@compiles(seconds_before, "postgresql")
def _before_postgresql(element: seconds_before, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"({column} - make_interval(secs => {element.seconds}))"


@compiles(seconds_before)
def _before_sqlite(element: seconds_before, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps timestamps as 'YYYY-MM-DD HH:MM:SS[.ffffff]' text, which sorts as time.
    column = compiler.process(element.clauses, **kw)
    return f"datetime({column}, '-{element.seconds} seconds')"


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    # FILTER rather than SUM(CASE …): both databases then skip the row early.
    return func.count().filter(condition)


@dataclass
class _Row:
    """Accumulates one person's figures from the separate queries."""

    status: str
    invited: bool
    counts: dict[str, int]
    first_in: int | None = None
    first_reminded: int | None = None
    shares: int = 0
    unprompted: int = 0
    weeks_with_share: int = 0
    busiest_week: int = 0
    rewrite_ratio: float | None = None
    topics: int = 0
    clicks: int = 0


async def workspace_signals(
    session: AsyncSession, *, workspace_id: int, now: datetime, nudge_window_seconds: int
) -> list[Signals]:
    """Everyone's signals in one workspace: six aggregate queries, whatever its size."""
    rows = await _people(session, workspace_id=workspace_id)
    await _event_counts(session, rows, workspace_id=workspace_id)
    await _share_weeks(session, rows, workspace_id=workspace_id, window=nudge_window_seconds)
    await _rewrites(session, rows, workspace_id=workspace_id)
    await _topics(session, rows, workspace_id=workspace_id)
    await _clicks(session, rows, workspace_id=workspace_id)
    return [_signals(person_id, row, now=now) for person_id, row in sorted(rows.items())]


async def _people(session: AsyncSession, *, workspace_id: int) -> dict[int, _Row]:
    query = select(Person.id, Person.status, Person.invited_at.is_not(None)).where(
        Person.workspace_id == workspace_id
    )
    result = await session.execute(query)
    return {pid: _Row(str(status.value), bool(invited), {}) for pid, status, invited in result}


_COUNTED = (
    EventType.INVITED,
    EventType.REMINDED,
    EventType.CONTENT_SUGGESTED,
    EventType.HELP_ASKED,
)


async def _event_counts(session: AsyncSession, rows: dict[int, _Row], *, workspace_id: int) -> None:
    """Counts per person and kind of event, and when they first joined and were reminded."""
    dm = Event.payload["source"].as_string() == "dm"
    query = (
        select(
            Event.person_id,
            *(_count(Event.type == kind.value) for kind in _COUNTED),
            _count(Event.type.in_(sorted(FEEDBACK))),
            _count(and_(Event.type == EventType.PICKS_SHOWN.value, dm)),
            _first(EventType.OPTED_IN),
            _first(EventType.REMINDED),
        )
        .where(Event.workspace_id == workspace_id, Event.person_id.is_not(None))
        .group_by(Event.person_id)
    )
    names = [kind.value for kind in _COUNTED] + ["feedback", "picks_dm"]
    for person_id, *figures in await session.execute(query):
        row = rows.get(person_id or 0)
        if row is not None:
            row.counts = dict(zip(names, figures[: len(names)], strict=True))
            row.first_in, row.first_reminded = figures[-2], figures[-1]


def _first(event_type: EventType) -> ColumnElement[int]:
    return func.min(epoch_seconds(Event.created_at)).filter(Event.type == event_type.value)


async def _share_weeks(
    session: AsyncSession, rows: dict[int, _Row], *, workspace_id: int, window: int
) -> None:
    """Share intents per person and week, each told nudged or not by a nudge shortly before it.

    A share is nudged when a nudge (a reminder, or picks in a direct message) came at most
    `window` seconds before it (a nudge at the very moment of a share counts as before it).
    Shares are few next to nudges, so each share looks back through the person's own events
    on the (person, time) index over just the window, instead of ordering every nudge.
    """
    share = aliased(Event)
    nudge = aliased(Event)
    seconds = epoch_seconds(share.created_at)
    nudged = exists().where(
        nudge.person_id == share.person_id,
        nudge.created_at <= share.created_at,
        nudge.created_at >= seconds_before(share.created_at, window + 1),
        epoch_seconds(nudge.created_at) >= seconds - literal(window),
        or_(
            nudge.type == EventType.REMINDED.value,
            and_(
                nudge.type == EventType.PICKS_SHOWN.value,
                nudge.payload["source"].as_string() == "dm",
            ),
        ),
    )
    unprompted = or_(share.payload["source"].as_string().in_(sorted(UNPROMPTED_SOURCES)), ~nudged)
    weeks = (
        select(
            share.person_id.label("person_id"),
            func.count().label("shares"),
            _count(unprompted).label("unprompted"),
        )
        .where(
            share.workspace_id == workspace_id,
            share.person_id.is_not(None),
            share.type == EventType.SHARE_INTENT.value,
        )
        .group_by(share.person_id, (seconds + _WEEK_SHIFT) // WEEK_SECONDS)
        .subquery()
    )
    query = select(
        weeks.c.person_id,
        func.sum(weeks.c.shares),
        func.sum(weeks.c.unprompted),
        func.count(),
        func.max(weeks.c.shares),
    ).group_by(weeks.c.person_id)
    for person_id, shares, free, active_weeks, busiest in await session.execute(query):
        row = rows.get(person_id)
        if row is not None:
            row.shares, row.unprompted = int(shares), int(free)
            row.weeks_with_share, row.busiest_week = active_weeks, busiest


async def _rewrites(session: AsyncSession, rows: dict[int, _Row], *, workspace_id: int) -> None:
    query = (
        select(Share.person_id, func.avg(Share.rewrite_ratio))
        .join(Person, Person.id == Share.person_id)
        .where(Person.workspace_id == workspace_id)
        .group_by(Share.person_id)
    )
    for person_id, ratio in await session.execute(query):
        if person_id in rows:
            rows[person_id].rewrite_ratio = float(ratio)


async def _topics(session: AsyncSession, rows: dict[int, _Row], *, workspace_id: int) -> None:
    query = (
        select(PersonTopic.person_id, func.count())
        .join(Person, Person.id == PersonTopic.person_id)
        .where(Person.workspace_id == workspace_id, PersonTopic.chosen.is_(True))
        .group_by(PersonTopic.person_id)
    )
    for person_id, count in await session.execute(query):
        if person_id in rows:
            rows[person_id].topics = count


async def _clicks(session: AsyncSession, rows: dict[int, _Row], *, workspace_id: int) -> None:
    query = (
        select(Link.person_id, func.count(Click.id))
        .join(Click, Click.link_id == Link.id)
        .join(Person, Person.id == Link.person_id)
        .where(Person.workspace_id == workspace_id)
        .group_by(Link.person_id)
    )
    for person_id, count in await session.execute(query):
        if person_id in rows:
            rows[person_id].clicks = count


def _signals(person_id: int, row: _Row, *, now: datetime) -> Signals:
    counts = row.counts
    reminded, joined = row.first_reminded, row.first_in
    return Signals(
        person_id=person_id,
        status=row.status,
        invited=row.invited or counts.get(EventType.INVITED.value, 0) > 0,
        opted_in=joined is not None,
        opted_in_after_reminder=reminded is not None and joined is not None and reminded <= joined,
        reminders=counts.get(EventType.REMINDED.value, 0),
        topics_chosen=row.topics,
        picks_received=counts.get("picks_dm", 0),
        shares=row.shares,
        unprompted_shares=row.unprompted,
        rewrite_ratio=row.rewrite_ratio,
        weeks_in_programme=weeks_between(joined, now),
        weeks_with_share=row.weeks_with_share,
        busiest_week_shares=row.busiest_week,
        content_suggested=counts.get(EventType.CONTENT_SUGGESTED.value, 0),
        help_asked=counts.get(EventType.HELP_ASKED.value, 0),
        feedback_given=counts.get("feedback", 0),
        clicks=row.clicks,
    )


async def store_placements(
    session: AsyncSession, *, workspace_id: int, placements: Sequence[Placement], now: datetime
) -> None:
    """Replace the workspace's stored groups with these."""
    await session.execute(delete(PersonInsight).where(PersonInsight.workspace_id == workspace_id))
    values = [
        {
            "person_id": p.person_id,
            "workspace_id": workspace_id,
            "group": p.group.value,
            "confidence": p.confidence,
            "evidence": p.evidence,
            "computed_at": now,
        }
        for p in placements
    ]
    for start in range(0, len(values), 1000):
        await session.execute(insert(PersonInsight), values[start : start + 1000])


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


def group_counts(placements: Sequence[Placement]) -> dict[str, int]:
    """How many people each group holds."""
    counts: dict[str, int] = defaultdict(int)
    for placement in placements:
        counts[placement.group.value] += 1
    return dict(counts)
