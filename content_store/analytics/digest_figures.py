"""The manager digest's figures for a whole workspace at once, as a few set-based aggregates.

Every query covers every manager of the workspace in one statement (grouped by manager), so
the cost grows with the events of the twelve weeks shown, not with the number of managers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from content_store.models import ContentItem, Event, Person, Share
from domain.events import EventType
from domain.programme import ProgrammeStatus

WEEKS_SHOWN = 12
WEEK = timedelta(days=7)
_SHARE = EventType.SHARE_INTENT.value
_CLICK = EventType.LINK_CLICKED.value


@dataclass(frozen=True)
class WeekCounts:
    """One week of a team or the organisation: shares started, clicks earned, people sharing."""

    shares: int = 0
    clicks: int = 0
    sharers: int = 0


@dataclass(frozen=True)
class Team:
    """A manager with direct reports, and how many of those are in the programme."""

    manager_id: int
    external_id: str
    locale: str | None
    status: ProgrammeStatus
    reports: int
    in_programme: int


@dataclass(frozen=True)
class ItemCount:
    """An item's shares and clicks in the digest week."""

    content_id: int
    title: str
    shares: int
    clicks: int


@dataclass(frozen=True)
class Figures:
    """Everything the digests of one workspace need for one week (org key: None)."""

    teams: list[Team]
    org_in_programme: int
    weeks: dict[int | None, list[WeekCounts]]
    top_items: dict[int | None, list[ItemCount]]
    spotlights: dict[int, list[tuple[int, int]]]
    asked_for_tips: dict[int, list[int]]
    managers_shared: frozenset[tuple[int, int]]


async def workspace_figures(
    session: AsyncSession, *, workspace_id: int, week_start: datetime
) -> Figures:
    """The digest figures of every manager in a workspace for the week from `week_start`."""
    teams = await managers_with_reports(session, workspace_id=workspace_id)
    top = await top_items(session, workspace_id=workspace_id, week_start=week_start)
    top_ids = {item.content_id for items in top.values() for item in items}
    return Figures(
        teams=teams,
        org_in_programme=await _org_in_programme(session, workspace_id=workspace_id),
        weeks=await weekly_counts(session, workspace_id=workspace_id, week_start=week_start),
        top_items=top,
        spotlights=await spotlights(session, workspace_id=workspace_id, week_start=week_start),
        asked_for_tips=await asked_for_tips(
            session, workspace_id=workspace_id, week_start=week_start
        ),
        managers_shared=await _managers_shared(
            session, workspace_id=workspace_id, content_ids=top_ids
        ),
    )


async def managers_with_reports(session: AsyncSession, *, workspace_id: int) -> list[Team]:
    """Everyone with at least one direct report, with the size of their team in the programme."""
    manager = aliased(Person)
    in_programme = func.sum(case((Person.status == ProgrammeStatus.IN, 1), else_=0))
    query = (
        select(
            manager.id,
            manager.external_id,
            manager.locale,
            manager.status,
            func.count(Person.id),
            in_programme,
        )
        .select_from(Person)
        .join(manager, manager.id == Person.manager_id)
        .where(Person.workspace_id == workspace_id)
        .group_by(manager.id, manager.external_id, manager.locale, manager.status)
        .order_by(manager.id)
    )
    return [
        Team(row[0], row[1], row[2], row[3], int(row[4]), int(row[5] or 0))
        for row in (await session.execute(query)).all()
    ]


async def _org_in_programme(session: AsyncSession, *, workspace_id: int) -> int:
    query = select(func.count(Person.id)).where(
        Person.workspace_id == workspace_id, Person.status == ProgrammeStatus.IN
    )
    return int(await session.scalar(query) or 0)


def week_bucket(column: Any, *, first: datetime, weeks: int) -> Any:
    """0 for the oldest of `weeks` seven-day windows starting at `first`, up to weeks - 1.

    A CASE over the window starts works the same on SQLite and PostgreSQL, unlike date maths.
    """
    starts = [(column >= first + WEEK * index, index) for index in reversed(range(weeks))]
    return case(*starts, else_=None)


def _activity(workspace_id: int, *, start: datetime, end: datetime, weeks: int) -> Any:
    """Share intents and clicks in [start, end) with their week and the person's team."""
    return (
        select(
            Event.type.label("type"),
            Event.person_id.label("person_id"),
            Event.content_id.label("content_id"),
            week_bucket(Event.created_at, first=start, weeks=weeks).label("week"),
            Person.manager_id.label("manager_id"),
            Person.status.label("status"),
        )
        .outerjoin(Person, Person.id == Event.person_id)
        .where(Event.workspace_id == workspace_id, Event.type.in_((_SHARE, _CLICK)))
        .where(Event.created_at >= start, Event.created_at < end)
        .subquery()
    )


def _counts(activity: Any) -> list[Any]:
    is_share = activity.c.type == _SHARE
    # Only people in the programme now count as sharers, so participation stays <= 100%.
    in_programme = activity.c.status == ProgrammeStatus.IN.value
    return [
        func.sum(case((is_share, 1), else_=0)),
        func.sum(case((activity.c.type == _CLICK, 1), else_=0)),
        func.count(func.distinct(case((and_(is_share, in_programme), activity.c.person_id)))),
    ]


async def weekly_counts(
    session: AsyncSession, *, workspace_id: int, week_start: datetime
) -> dict[int | None, list[WeekCounts]]:
    """Twelve weeks (oldest first, the digest week last) per manager, and for the org (None).

    One scan: each person has one manager (or none), so the organisation's figures, distinct
    sharers included, are the sums over every group, the group without a manager too.
    """
    first = week_start - WEEK * (WEEKS_SHOWN - 1)
    activity = _activity(workspace_id, start=first, end=week_start + WEEK, weeks=WEEKS_SHOWN)
    query: Select[Any] = select(
        activity.c.manager_id, activity.c.week, *_counts(activity)
    ).group_by(activity.c.manager_id, activity.c.week)
    series: dict[int | None, list[WeekCounts]] = defaultdict(_empty_weeks)
    org = [[0, 0, 0] for _ in range(WEEKS_SHOWN)]
    for manager_id, week, shares, clicks, sharers in (await session.execute(query)).all():
        counts = (int(shares), int(clicks), int(sharers))
        if manager_id is not None:
            series[manager_id][int(week)] = WeekCounts(*counts)
        org[int(week)] = [
            total + count for total, count in zip(org[int(week)], counts, strict=True)
        ]
    series[None] = [WeekCounts(*totals) for totals in org]
    return dict(series)


def _empty_weeks() -> list[WeekCounts]:
    return [WeekCounts() for _ in range(WEEKS_SHOWN)]


async def top_items(
    session: AsyncSession, *, workspace_id: int, week_start: datetime, limit: int = 3
) -> dict[int | None, list[ItemCount]]:
    """Each team's (and the org's, key None) most shared items of the week, then by clicks."""
    activity = _activity(workspace_id, start=week_start, end=week_start + WEEK, weeks=1)
    shares = func.sum(case((activity.c.type == _SHARE, 1), else_=0))
    clicks = func.sum(case((activity.c.type == _CLICK, 1), else_=0))
    order = (shares.desc(), clicks.desc(), activity.c.content_id)
    per_team = (
        select(
            activity.c.manager_id,
            activity.c.content_id,
            shares.label("shares"),
            clicks.label("clicks"),
            func.row_number().over(partition_by=activity.c.manager_id, order_by=order).label("n"),
        )
        .where(activity.c.manager_id.is_not(None), activity.c.content_id.is_not(None))
        .group_by(activity.c.manager_id, activity.c.content_id)
        .subquery()
    )
    ranked = (
        select(per_team.c.manager_id, per_team.c.content_id, per_team.c.shares, per_team.c.clicks)
        .where(per_team.c.n <= limit)
        .order_by(per_team.c.manager_id, per_team.c.n)
    )
    org = (
        select(activity.c.content_id, shares, clicks)
        .where(activity.c.content_id.is_not(None))
        .group_by(activity.c.content_id)
        .order_by(*order)
        .limit(limit)
    )
    org_rows = [(None, *row) for row in (await session.execute(org)).all()]
    rows = [*(await session.execute(ranked)).all(), *org_rows]
    titles = await _titles(session, {int(row[1]) for row in rows})
    result: dict[int | None, list[ItemCount]] = defaultdict(list)
    for manager_id, content_id, item_shares, item_clicks in rows:
        title = titles.get(int(content_id), "")
        result[manager_id].append(
            ItemCount(int(content_id), title, int(item_shares), int(item_clicks))
        )
    return dict(result)


async def _titles(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    query = select(ContentItem.id, ContentItem.title).where(ContentItem.id.in_(wanted))
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def spotlights(
    session: AsyncSession, *, workspace_id: int, week_start: datetime
) -> dict[int, list[tuple[int, int]]]:
    """Per manager: (person id, shares) of reports who consented to a spotlight and shared."""
    query = (
        select(Person.manager_id, Person.id, func.count(Event.id))
        .select_from(Event)
        .join(Person, Person.id == Event.person_id)
        .where(Event.workspace_id == workspace_id, Event.type == _SHARE)
        .where(Event.created_at >= week_start, Event.created_at < week_start + WEEK)
        .where(Person.consent_spotlight.is_(True), Person.status == ProgrammeStatus.IN)
        .where(Person.manager_id.is_not(None))
        .group_by(Person.manager_id, Person.id)
        .order_by(Person.manager_id, Person.id)
    )
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for manager_id, person_id, count in (await session.execute(query)).all():
        found[manager_id or 0].append((int(person_id), int(count)))
    return dict(found)


async def asked_for_tips(
    session: AsyncSession, *, workspace_id: int, week_start: datetime
) -> dict[int, list[int]]:
    """Per manager: reports who asked for help this week and said their manager may know."""
    shared = Event.payload["share_with_manager"].as_boolean()
    query = (
        select(Person.manager_id, Person.id)
        .select_from(Event)
        .join(Person, Person.id == Event.person_id)
        .where(Event.workspace_id == workspace_id, Event.type == EventType.HELP_ASKED.value)
        .where(Event.created_at >= week_start, Event.created_at < week_start + WEEK)
        .where(shared.is_(True), Person.manager_id.is_not(None))
        .group_by(Person.manager_id, Person.id)
        .order_by(Person.manager_id, Person.id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for manager_id, person_id in (await session.execute(query)).all():
        found[manager_id or 0].append(int(person_id))
    return dict(found)


async def _managers_shared(
    session: AsyncSession, *, workspace_id: int, content_ids: set[int]
) -> frozenset[tuple[int, int]]:
    """(manager id, item id) for managers who already started sharing one of these items."""
    if not content_ids:
        return frozenset()
    managers = select(Person.manager_id).where(
        Person.workspace_id == workspace_id, Person.manager_id.is_not(None)
    )
    # The shares table (indexed by item) rather than the event log: a few items, any time.
    query = (
        select(Share.person_id, Share.content_id)
        .where(Share.content_id.in_(content_ids))
        .where(Share.person_id.in_(managers.scalar_subquery()))
        .distinct()
    )
    rows = (await session.execute(query)).all()
    return frozenset((row[0] or 0, row[1]) for row in rows)
