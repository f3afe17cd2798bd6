"""Every participant's signals for a workspace in a few set-based queries, and their groups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, delete, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, aliased
from sqlalchemy.sql import ColumnElement
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
from insights.signals import (
    FEEDBACK,
    NUDGE_LOOKBACK_SECONDS,
    Raw,
    ShareFact,
    Signals,
    Timing,
    is_own_help_ask,
    person_topics,
    summarise,
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
    """Accumulates one person's raw figures from the separate queries."""

    status: str
    invited: bool
    counts: dict[str, int] = field(default_factory=dict)
    first_in: int | None = None
    first_reminded: int | None = None
    shares: list[ShareFact] = field(default_factory=list)
    help_asks: list[int] = field(default_factory=list)
    rewrite_ratio: float | None = None
    chosen: set[int] = field(default_factory=set)
    liked: list[int] = field(default_factory=list)
    clicks: int = 0


async def workspace_signals(
    session: AsyncSession, *, workspace_id: int, now: datetime, timing: Timing
) -> list[Signals]:
    """Everyone's signals in one workspace: a few set-based queries, whatever its size."""
    raws = await workspace_raws(session, workspace_id=workspace_id)
    return [summarise(raw, now=now, timing=timing) for raw in raws]


async def workspace_raws(session: AsyncSession, *, workspace_id: int) -> list[Raw]:
    """Everyone's raw figures in one workspace (`insights.signals.summarise` turns them into
    signals; a regrouping does that in the CPU worker, off the event loop)."""
    rows = await _people(session, workspace_id=workspace_id)
    await _event_counts(session, rows, workspace_id=workspace_id)
    await _shares(session, rows, workspace_id=workspace_id)
    await _help_asks(session, rows, workspace_id=workspace_id)
    await _rewrites(session, rows, workspace_id=workspace_id)
    await _topics(session, rows, workspace_id=workspace_id)
    content_topics = await _content_topics(session, workspace_id=workspace_id)
    await _clicks(session, rows, workspace_id=workspace_id)
    return [_raw(person_id, row, content_topics) for person_id, row in sorted(rows.items())]


def _raw(person_id: int, row: _Row, content_topics: dict[int, frozenset[int]]) -> Raw:
    return Raw(
        person_id=person_id,
        status=row.status,
        invited=row.invited,
        counts=row.counts,
        first_in=row.first_in,
        first_reminded=row.first_reminded,
        shares=sorted(row.shares, key=lambda s: s.at),
        help_asks=sorted(row.help_asks),
        rewrite_ratio=row.rewrite_ratio,
        topics_chosen=len(row.chosen),
        topics=person_topics(frozenset(row.chosen), row.liked, content_topics),
        content_topics=content_topics,
        clicks=row.clicks,
    )


async def _people(session: AsyncSession, *, workspace_id: int) -> dict[int, _Row]:
    query = select(Person.id, Person.status, Person.invited_at.is_not(None)).where(
        Person.workspace_id == workspace_id
    )
    result = await session.execute(query)
    return {pid: _Row(str(status.value), bool(invited)) for pid, status, invited in result}


_COUNTED = (
    EventType.INVITED,
    EventType.REMINDED,
    EventType.CONTENT_SUGGESTED,
    EventType.NUDGED_ELSEWHERE,
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


async def _shares(session: AsyncSession, rows: dict[int, _Row], *, workspace_id: int) -> None:
    """Every share intent with the moment of the latest nudge before it.

    Shares are few next to nudges, so each share looks back through the person's own events on
    the (person, time) index over at most NUDGE_LOOKBACK_SECONDS (a nudge at the very moment of
    a share counts as before it); Python turns the gap into the continuous own-accord measure.
    """
    share = aliased(Event)
    nudge = aliased(Event)
    seconds = epoch_seconds(share.created_at)
    latest = (
        select(func.max(epoch_seconds(nudge.created_at)))
        .where(
            nudge.person_id == share.person_id,
            nudge.created_at <= share.created_at,
            nudge.created_at >= seconds_before(share.created_at, NUDGE_LOOKBACK_SECONDS + 1),
            epoch_seconds(nudge.created_at) >= seconds - literal(NUDGE_LOOKBACK_SECONDS),
            or_(
                nudge.type.in_([EventType.REMINDED.value, EventType.NUDGED_ELSEWHERE.value]),
                and_(
                    nudge.type == EventType.PICKS_SHOWN.value,
                    nudge.payload["source"].as_string() == "dm",
                ),
            ),
        )
        .correlate(share)
        .scalar_subquery()
    )
    query = select(share.person_id, seconds, latest, share.content_id).where(
        share.workspace_id == workspace_id,
        share.person_id.is_not(None),
        share.type == EventType.SHARE_INTENT.value,
    )
    for person_id, at, nudged_at, content_id in await session.execute(query):
        row = rows.get(person_id)
        if row is not None:
            delay = None if nudged_at is None else int(at) - int(nudged_at)
            row.shares.append(ShareFact(int(at), delay, content_id))


async def _help_asks(session: AsyncSession, rows: dict[int, _Row], *, workspace_id: int) -> None:
    """When each person asked for tips on their own (see insights.signals.is_own_help_ask)."""
    query = select(Event.person_id, epoch_seconds(Event.created_at), Event.payload).where(
        Event.workspace_id == workspace_id,
        Event.person_id.is_not(None),
        Event.type == EventType.HELP_ASKED.value,
    )
    for person_id, at, payload in await session.execute(query):
        row = rows.get(person_id or 0)
        if row is not None and is_own_help_ask(payload):
            row.help_asks.append(int(at))


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
    """Topics each person chose, and the items they asked more of (to infer topics from)."""
    chosen = (
        select(PersonTopic.person_id, PersonTopic.topic_id)
        .join(Person, Person.id == PersonTopic.person_id)
        .where(Person.workspace_id == workspace_id, PersonTopic.chosen.is_(True))
    )
    for person_id, topic_id in await session.execute(chosen):
        if person_id in rows:
            rows[person_id].chosen.add(topic_id)
    liked = select(Event.person_id, Event.content_id).where(
        Event.workspace_id == workspace_id,
        Event.type == EventType.MORE_LIKE_THIS.value,
        Event.content_id.is_not(None),
    )
    for liker, content_id in await session.execute(liked):
        if liker is not None and liker in rows and content_id is not None:
            rows[liker].liked.append(content_id)


async def _content_topics(session: AsyncSession, *, workspace_id: int) -> dict[int, frozenset[int]]:
    query = (
        select(ContentTopic.content_id, ContentTopic.topic_id)
        .join(ContentItem, ContentItem.id == ContentTopic.content_id)
        .where(ContentItem.workspace_id == workspace_id)
    )
    found: dict[int, set[int]] = defaultdict(set)
    for content_id, topic_id in await session.execute(query):
        found[content_id].add(topic_id)
    return {key: frozenset(value) for key, value in found.items()}


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
            "sure": p.sure,
            "headline": p.headline,
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
