"""Programme and per-item figures as SQL aggregates (never Python loops over rows)."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, and_, case, func, literal, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from captions.similarity import near_identical_count
from content_store.analytics.digest_figures import WEEK, week_bucket
from content_store.models import (
    Click,
    ContentItem,
    ContentTopic,
    Delivery,
    DeliveryItem,
    Feedback,
    Link,
    Person,
    Share,
    Topic,
    UtcDateTime,
)
from domain.networks import Network
from domain.programme import ContentStatus, ProgrammeStatus


@dataclass(frozen=True)
class ProgrammeFigures:
    """How the programme does as a whole."""

    people_by_status: dict[str, int]
    sharers: int
    share_intents: int
    confirmed_shares: int
    clicks: int


async def programme_figures(session: AsyncSession, *, workspace_id: int) -> ProgrammeFigures:
    """People per programme status, sharers, shares and clicks in the workspace."""
    statuses = await session.execute(
        select(Person.status, func.count())
        .where(Person.workspace_id == workspace_id)
        .group_by(Person.status)
    )
    in_workspace = ContentItem.workspace_id == workspace_id
    shares = (
        await session.execute(
            select(
                func.count(),
                func.count(Share.confirmed_at),
                func.count(func.distinct(Share.person_id)),
            )
            .join(ContentItem, ContentItem.id == Share.content_id)
            .where(in_workspace)
        )
    ).one()
    clicks = await session.scalar(
        select(func.count()).select_from(Click).join(Link).join(ContentItem).where(in_workspace)
    )
    return ProgrammeFigures(
        people_by_status={status.value: int(count) for status, count in statuses},
        sharers=int(shares[2]),
        share_intents=int(shares[0]),
        confirmed_shares=int(shares[1]),
        clicks=int(clicks or 0),
    )


# ---------------------------------------------------------------- per item and per topic

# A delivery counts as sent once it reached the person: by DM, or shown on request.
DELIVERED = ("sent", "shown")
# Items with this many near-identical final captions are flagged as "everyone posted the same".
SAME_TEXT_SHARES = 3
# Bounds the pairwise caption comparison of one item (the most recent shares are compared).
_CAPTIONS_COMPARED = 300


@dataclass(frozen=True)
class ItemStats:
    """How one item did; `same_text` is the number of near-identical final captions."""

    content_id: int
    title: str
    topics: tuple[str, ...]
    sent: int
    opened: int
    share_intents: int
    confirmed: dict[str, int]
    average_rewrite: float | None
    clicks: int
    same_text: int

    @property
    def confirmed_total(self) -> int:
        """Confirmed shares on every network together."""
        return sum(self.confirmed.values())

    @property
    def flagged(self) -> bool:
        """True when enough people posted nearly the same text."""
        return self.same_text >= SAME_TEXT_SHARES


@dataclass(frozen=True)
class TopicStats:
    """An item figure summed over the items of one topic (an item counts in each of its topics)."""

    topic: str
    items: int
    sent: int
    opened: int
    share_intents: int
    confirmed: dict[str, int]
    average_rewrite: float | None
    clicks: int
    flagged_items: int


def _counts(rows: Any) -> dict[int, int]:
    return {int(key): int(value or 0) for key, value in rows}


async def item_statistics(
    session: AsyncSession, *, workspace_id: int, content_ids: Sequence[int] | None = None
) -> list[ItemStats]:
    """Every item's figures (or those of `content_ids`), newest first, in a few aggregates."""
    items = select(ContentItem.id, ContentItem.title).where(
        ContentItem.workspace_id == workspace_id,
        ContentItem.status.not_in((ContentStatus.SUGGESTED, ContentStatus.REJECTED)),
    )
    if content_ids is not None:
        items = items.where(ContentItem.id.in_(list(content_ids)))
    titles = {row[0]: row[1] for row in (await session.execute(items)).all()}
    wanted = items.with_only_columns(ContentItem.id).scalar_subquery()
    shares = await _share_figures(session, wanted)
    confirmed = await _confirmed(session, wanted)
    figures = {
        "sent": await _sent(session, wanted),
        "opened": await _opened(session, wanted),
        "clicks": await _clicks(session, wanted),
    }
    topics = await _item_topics(session, wanted)
    same = await _same_text(session, wanted)
    return [
        ItemStats(
            content_id=item_id,
            title=title,
            topics=topics.get(item_id, ()),
            sent=figures["sent"].get(item_id, 0),
            opened=figures["opened"].get(item_id, 0),
            share_intents=shares.get(item_id, (0, None))[0],
            confirmed=confirmed.get(item_id, {}),
            average_rewrite=shares.get(item_id, (0, None))[1],
            clicks=figures["clicks"].get(item_id, 0),
            same_text=same.get(item_id, 0),
        )
        for item_id, title in sorted(titles.items(), reverse=True)
    ]


def _delivered() -> Any:
    return (
        select(Delivery.person_id.label("person_id"), DeliveryItem.content_id.label("content_id"))
        .join(Delivery, Delivery.id == DeliveryItem.delivery_id)
        .where(Delivery.status.in_(DELIVERED))
    )


async def _sent(session: AsyncSession, wanted: Any) -> dict[int, int]:
    query = (
        select(DeliveryItem.content_id, func.count())
        .join(Delivery, Delivery.id == DeliveryItem.delivery_id)
        .where(Delivery.status.in_(DELIVERED), DeliveryItem.content_id.in_(wanted))
        .group_by(DeliveryItem.content_id)
    )
    return _counts((await session.execute(query)).all())


async def _opened(session: AsyncSession, wanted: Any) -> dict[int, int]:
    """People who got the item and then viewed their picks on request or acted on the item."""
    viewed = (
        select(Delivery.person_id, DeliveryItem.content_id)
        .join(Delivery, Delivery.id == DeliveryItem.delivery_id)
        .where(Delivery.status == "shown", DeliveryItem.content_id.in_(wanted))
    )
    acted = union(
        viewed,
        select(Share.person_id, Share.content_id).where(Share.content_id.in_(wanted)),
        select(Feedback.person_id, Feedback.content_id).where(Feedback.content_id.in_(wanted)),
    ).subquery()
    delivered = _delivered().subquery()
    query = (
        select(delivered.c.content_id, func.count(func.distinct(delivered.c.person_id)))
        .join(
            acted,
            and_(
                acted.c.person_id == delivered.c.person_id,
                acted.c.content_id == delivered.c.content_id,
            ),
        )
        .where(delivered.c.content_id.in_(wanted))
        .group_by(delivered.c.content_id)
    )
    return _counts((await session.execute(query)).all())


async def _share_figures(session: AsyncSession, wanted: Any) -> dict[int, tuple[int, float | None]]:
    query = (
        select(Share.content_id, func.count(), func.avg(Share.rewrite_ratio))
        .where(Share.content_id.in_(wanted))
        .group_by(Share.content_id)
    )
    return {
        int(row[0]): (int(row[1]), float(row[2]) if row[2] is not None else None)
        for row in (await session.execute(query)).all()
    }


async def _confirmed(session: AsyncSession, wanted: Any) -> dict[int, dict[str, int]]:
    query = (
        select(Share.content_id, Share.network, func.count())
        .where(Share.content_id.in_(wanted), Share.confirmed_at.is_not(None))
        .group_by(Share.content_id, Share.network)
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for content_id, network, count in (await session.execute(query)).all():
        found[int(content_id)][Network(network).value] = int(count)
    return dict(found)


async def _clicks(session: AsyncSession, wanted: Any) -> dict[int, int]:
    query = (
        select(Link.content_id, func.count(Click.id))
        .join(Click, Click.link_id == Link.id)
        .where(Link.content_id.in_(wanted))
        .group_by(Link.content_id)
    )
    return _counts((await session.execute(query)).all())


async def _item_topics(session: AsyncSession, wanted: Any) -> dict[int, tuple[str, ...]]:
    query = (
        select(ContentTopic.content_id, Topic.slug)
        .join(Topic, Topic.id == ContentTopic.topic_id)
        .where(ContentTopic.content_id.in_(wanted))
        .order_by(ContentTopic.content_id, Topic.slug)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for content_id, slug in (await session.execute(query)).all():
        found[int(content_id)].append(slug)
    return {key: tuple(value) for key, value in found.items()}


async def _same_text(session: AsyncSession, wanted: Any) -> dict[int, int]:
    """Near-identical final captions per item, for items with enough shares to be flagged.

    Text similarity has no SQL aggregate: the captions of those items only are compared here,
    in a worker thread so the event loop keeps serving clicks meanwhile (each comparison is a
    short call into rapidfuzz's C++, so the two threads take turns).
    """
    candidates = (
        select(Share.content_id)
        .where(Share.content_id.in_(wanted), Share.final_caption.is_not(None))
        .group_by(Share.content_id)
        .having(func.count() >= SAME_TEXT_SHARES)
    )
    query = (
        select(Share.content_id, Share.final_caption)
        .where(Share.content_id.in_(candidates.scalar_subquery()))
        .where(Share.final_caption.is_not(None))
        .order_by(Share.content_id, Share.intent_at.desc())
    )
    captions: dict[int, list[str]] = defaultdict(list)
    for content_id, caption in (await session.execute(query)).all():
        if len(captions[content_id]) < _CAPTIONS_COMPARED:
            captions[content_id].append(caption or "")
    if not captions:
        return {}
    return await asyncio.to_thread(_near_identical_per_item, captions)


def _near_identical_per_item(captions: dict[int, list[str]]) -> dict[int, int]:
    return {key: near_identical_count(texts) for key, texts in captions.items()}


def topic_statistics(items: Sequence[ItemStats]) -> list[TopicStats]:
    """Item figures rolled up per topic; the rewrite average is weighted by share starts."""
    by_topic: dict[str, list[ItemStats]] = defaultdict(list)
    for item in items:
        for topic in item.topics:
            by_topic[topic].append(item)
    return [_topic(topic, group) for topic, group in sorted(by_topic.items())]


def _topic(topic: str, items: Sequence[ItemStats]) -> TopicStats:
    confirmed: Counter[str] = Counter()
    for item in items:
        confirmed.update(item.confirmed)
    rated = [(i.average_rewrite, i.share_intents) for i in items if i.average_rewrite is not None]
    weight = sum(count for _, count in rated)
    return TopicStats(
        topic=topic,
        items=len(items),
        sent=sum(i.sent for i in items),
        opened=sum(i.opened for i in items),
        share_intents=sum(i.share_intents for i in items),
        confirmed=dict(sorted(confirmed.items())),
        average_rewrite=sum(r * n for r, n in rated) / weight if weight else None,
        clicks=sum(i.clicks for i in items),
        flagged_items=sum(i.flagged for i in items),
    )


# ---------------------------------------------------------------- the funnel

# "Shares steadily": a share in at least half of one's full weeks in the programme, and at
# least this many full weeks in it.
STEADY_MIN_WEEKS = 4


@dataclass(frozen=True)
class Funnel:
    """Invited → in the programme → shared at least once → shares steadily."""

    invited: int
    joined: int
    shared_once: int
    steady: int


class _DaysBetween(FunctionElement[float]):
    """Days from `earlier` to `later` as a fraction; compiled per dialect below."""

    type = Float()
    inherit_cache = True


@compiles(_DaysBetween)
def _days_between_sqlite(element: _DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


@compiles(_DaysBetween, "postgresql")
def _days_between_postgresql(element: _DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM {later} - {earlier}) / 86400.0)"


class _WholePart(FunctionElement[int]):
    """The whole part of a non-negative number; compiled per dialect below."""

    type = Integer()
    inherit_cache = True


@compiles(_WholePart)
def _whole_part_sqlite(element: _WholePart, compiler: SQLCompiler, **kw: Any) -> str:
    # CAST truncates on SQLite (floor is missing from some builds) ...
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


@compiles(_WholePart, "postgresql")
def _whole_part_postgresql(element: _WholePart, compiler: SQLCompiler, **kw: Any) -> str:
    # ... but rounds on PostgreSQL, so floor there.
    return f"floor({compiler.process(element.clauses, **kw)})"


def _days_since(later: Any, earlier: Any) -> Any:
    return _DaysBetween(later, earlier)


def _whole(value: Any) -> Any:
    return _WholePart(value)


async def funnel(session: AsyncSession, *, workspace_id: int, now: datetime) -> Funnel:
    """The programme funnel now; the stages are nested (each a subset of the one before)."""
    members = _members(session, workspace_id=workspace_id, now=now)
    share_weeks = _share_weeks(session, members)
    steady = and_(
        share_weeks.c.weeks >= STEADY_MIN_WEEKS, share_weeks.c.active * 2 >= share_weeks.c.weeks
    )
    sharing = select(func.count(share_weeks.c.id), func.sum(case((steady, 1), else_=0)))
    shared_once, steady_count = (await session.execute(sharing)).one()
    invited = select(func.count(Person.id)).where(
        Person.workspace_id == workspace_id,
        or_(Person.invited_at.is_not(None), Person.status != ProgrammeStatus.NOT_ASKED),
    )
    return Funnel(
        invited=int(await session.scalar(invited) or 0),
        joined=int(await session.scalar(select(func.count(members.c.id))) or 0),
        shared_once=int(shared_once or 0),
        steady=int(steady_count or 0),
    )


def _members(session: AsyncSession, *, workspace_id: int, now: datetime) -> Any:
    """People in the programme: since when, and how many full weeks they have been in it."""
    joined_at = func.coalesce(Person.status_changed_at, Person.created_at)
    days = _days_since(literal(now, UtcDateTime), joined_at)
    return (
        select(
            Person.id.label("id"),
            joined_at.label("joined"),
            _whole(days / 7).label("weeks"),
        )
        .where(Person.workspace_id == workspace_id, Person.status == ProgrammeStatus.IN)
        .subquery()
    )


def _share_weeks(session: AsyncSession, members: Any) -> Any:
    """Per member who started a share: their full weeks in, and in how many they shared."""
    days = _days_since(Share.intent_at, members.c.joined)
    week = _whole(days / 7)
    counted = and_(Share.intent_at >= members.c.joined, week < members.c.weeks)
    return (
        select(
            members.c.id.label("id"),
            members.c.weeks.label("weeks"),
            func.count(func.distinct(case((counted, week)))).label("active"),
        )
        .join(Share, Share.person_id == members.c.id)
        .group_by(members.c.id, members.c.weeks)
        .subquery()
    )


# ---------------------------------------------------------------- weekly series


@dataclass(frozen=True)
class WeekFigures:
    """One seven-day window of the whole programme."""

    start: datetime
    share_intents: int
    confirmed: int
    clicks: int
    sharers: int


async def weekly_figures(
    session: AsyncSession, *, workspace_id: int, now: datetime, weeks: int = 12
) -> list[WeekFigures]:
    """The last `weeks` seven-day windows up to `now`, oldest first."""
    first = now - WEEK * weeks
    in_workspace = ContentItem.workspace_id == workspace_id
    shared = (
        select(
            week_bucket(Share.intent_at, first=first, weeks=weeks).label("week"),
            Share.person_id.label("person_id"),
            Share.confirmed_at.label("confirmed_at"),
        )
        .join(ContentItem, ContentItem.id == Share.content_id)
        .where(in_workspace, Share.intent_at >= first, Share.intent_at <= now)
        .subquery()
    )
    clicked = (
        select(week_bucket(Click.clicked_at, first=first, weeks=weeks).label("week"))
        .join(Link, Link.id == Click.link_id)
        .join(ContentItem, ContentItem.id == Link.content_id)
        .where(in_workspace, Click.clicked_at >= first, Click.clicked_at <= now)
        .subquery()
    )
    share_counts = select(
        shared.c.week,
        func.count(),
        func.count(shared.c.confirmed_at),
        func.count(func.distinct(shared.c.person_id)),
    ).group_by(shared.c.week)
    click_counts = select(clicked.c.week, func.count()).group_by(clicked.c.week)
    by_week = {int(r[0]): r for r in (await session.execute(share_counts)).all()}
    clicks = {int(r[0]): int(r[1]) for r in (await session.execute(click_counts)).all()}
    return [
        _week_figures(first + WEEK * index, by_week.get(index), clicks.get(index, 0))
        for index in range(weeks)
    ]


def _week_figures(start: datetime, row: Any, clicks: int) -> WeekFigures:
    if row is None:
        return WeekFigures(start, 0, 0, clicks, 0)
    return WeekFigures(start, int(row[1]), int(row[2]), clicks, int(row[3]))
