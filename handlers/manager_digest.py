"""The weekly manager digest: team aggregates that celebrate and enable, never police.

Product rules 1, 5, 6 and 7 (docs/product-rules.md): participation only as a share of the team
in the programme (no list of who did not share), names only of people who asked for a spotlight
or for tips, and teams of fewer than five people in the programme see organisation-wide figures
only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store import outbox
from content_store.analytics.digest_figures import (
    WEEK,
    Figures,
    ItemCount,
    Team,
    WeekCounts,
    workspace_figures,
)
from content_store.models import Delivery, Person, StoredDigest, Workspace
from content_store.outbox import ClaimedDelivery, PersonState, PlannedDelivery
from content_store.people import IMPORTED
from domain.programme import ProgrammeStatus
from handlers.charts import drawn, weekly_chart
from handlers.context import Services
from handlers.types import Attachment, Reply, Text
from handlers.weekly_picks import week_of
from messages import format_day, format_ratio, normalise_locale, translate

DIGEST = "digest"
# Below this many people in the programme a team's figures could point at individuals.
MIN_TEAM = 5
Scope = Literal["team", "organisation"]


@dataclass(frozen=True)
class ManagerDigest:
    """One manager's week; person ids only (names are looked up when the message is made)."""

    manager_id: int
    locale: str
    week_start: datetime
    scope: Scope
    in_programme: int
    weeks: tuple[WeekCounts, ...]
    top_items: tuple[ItemCount, ...]
    spotlights: tuple[tuple[int, int], ...]
    asked_for_tips: tuple[int, ...]
    suggestion: str
    suggestion_item: str = ""

    @property
    def this_week(self) -> WeekCounts:
        """The digest week's figures (the last of the twelve)."""
        return self.weeks[-1]

    def previous_average(self) -> tuple[float, float]:
        """Average weekly shares and clicks over the four weeks before the digest week."""
        before = self.weeks[-5:-1]
        return sum(w.shares for w in before) / 4, sum(w.clicks for w in before) / 4


async def build_digests(
    services: Services, *, workspace_id: int, week_start: datetime
) -> list[ManagerDigest]:
    """Every manager-with-reports' digest of a workspace for the week from `week_start`.

    Nothing is sent; a handful of aggregate queries serve all managers at once.
    """
    async with services.db.session() as session:
        workspace = await session.get(Workspace, workspace_id)
        if workspace is None:
            return []
        figures = await workspace_figures(session, workspace_id=workspace_id, week_start=week_start)
    return [
        _digest(team, figures, week_start=week_start, default_locale=workspace.locale)
        for team in figures.teams
    ]


def _digest(
    team: Team, figures: Figures, *, week_start: datetime, default_locale: str
) -> ManagerDigest:
    small = team.in_programme < MIN_TEAM
    key = None if small else team.manager_id
    digest = ManagerDigest(
        manager_id=team.manager_id,
        locale=normalise_locale(team.locale or default_locale),
        week_start=week_start,
        scope="organisation" if small else "team",
        in_programme=figures.org_in_programme if small else team.in_programme,
        weeks=tuple(figures.weeks.get(key) or figures.weeks[None]),
        top_items=tuple(figures.top_items.get(key, [])),
        spotlights=() if small else tuple(figures.spotlights.get(team.manager_id, [])),
        # A person's own request to tell their manager is passed on whatever the team's size.
        asked_for_tips=tuple(figures.asked_for_tips.get(team.manager_id, [])),
        suggestion="",
    )
    return _with_suggestion(digest, team=team, managers_shared=figures.managers_shared)


def _with_suggestion(
    digest: ManagerDigest, *, team: Team, managers_shared: frozenset[tuple[int, int]]
) -> ManagerDigest:
    """One concrete thing to do, by the first rule that fits the week's data."""
    top = digest.top_items[0] if digest.top_items else None
    average, _ = digest.previous_average()
    if digest.asked_for_tips:
        return dataclasses.replace(digest, suggestion="tips")
    # A manager who said "no thanks" still gets the digest but is never asked to share.
    if (
        top is not None
        and team.status is not ProgrammeStatus.NO
        and (team.manager_id, top.content_id) not in managers_shared
    ):
        return dataclasses.replace(digest, suggestion="share_top", suggestion_item=top.title)
    if digest.this_week.shares < average:
        return dataclasses.replace(digest, suggestion="mention")
    if digest.this_week.shares > 0:
        # Organisation-wide figures say nothing about this team: thanking it would not fit.
        thanks = "thank" if digest.scope == "team" else "mention"
        return dataclasses.replace(digest, suggestion=thanks)
    return dataclasses.replace(digest, suggestion="explain")


# ---------------------------------------------------------------- the message


@dataclass(frozen=True)
class Names:
    """Names for the digest, looked up when it is composed (consent checked again then)."""

    spotlights: tuple[tuple[str, int], ...] = ()
    asked_for_tips: tuple[str, ...] = ()


def digest_reply(digest: ManagerDigest, names: Names) -> Reply:
    """The digest as a neutral reply, with a PNG chart of the last twelve weeks attached.

    When even the whole organisation has fewer than five people in the programme, its figures
    would point at people too: then only what content worked and the suggestion are shown.
    """
    locale = digest.locale
    figures_allowed = digest.in_programme >= MIN_TEAM
    figures = [Text(_participation(digest)), Text(_trend(digest))]
    blocks = [
        Text(translate(f"digest.title.{digest.scope}", locale), heading=True),
        *_scope_note(digest),
        *(figures if figures_allowed else [Text(translate("digest.too_few", locale))]),
        *_top_items(digest),
        *_named(names, locale),
        Text(
            translate(f"digest.suggest.{digest.suggestion}", locale, title=digest.suggestion_item)
        ),
    ]
    files = (digest_chart(digest),) if figures_allowed else ()
    return Reply(blocks=tuple(blocks), files=files)


def _scope_note(digest: ManagerDigest) -> list[Text]:
    if digest.scope == "team":
        return []
    return [Text(translate("digest.small_team", digest.locale, count=MIN_TEAM))]


def _participation(digest: ManagerDigest) -> str:
    sharers, members = digest.this_week.sharers, digest.in_programme
    percent = format_ratio(sharers / members, digest.locale) if members else "—"
    key = f"digest.participation.{digest.scope}"
    return translate(key, digest.locale, sharers=sharers, members=members, percent=percent)


def _trend(digest: ManagerDigest) -> str:
    shares, clicks = digest.previous_average()
    return translate(
        "digest.trend",
        digest.locale,
        shares=digest.this_week.shares,
        clicks=digest.this_week.clicks,
        # Averages with at most one decimal, formatted for the language by translate (2,5).
        shares_before=round(shares, 1),
        clicks_before=round(clicks, 1),
    )


def _top_items(digest: ManagerDigest) -> list[Text]:
    if not digest.top_items:
        return [Text(translate("digest.top.none", digest.locale))]
    lines = [
        translate(
            "digest.top.item",
            digest.locale,
            rank=rank,
            title=item.title,
            shares=translate("count.shares", digest.locale, count=item.shares),
            clicks=translate("count.clicks", digest.locale, count=item.clicks),
        )
        for rank, item in enumerate(digest.top_items, start=1)
    ]
    heading = Text(translate(f"digest.top.{digest.scope}", digest.locale), heading=True)
    return [heading, Text("\n".join(lines))]


def _named(names: Names, locale: str) -> list[Text]:
    blocks = []
    if names.spotlights:
        people = ", ".join(
            translate(
                "digest.spotlight.person",
                locale,
                name=name,
                shares=translate("count.shares", locale, count=shares),
            )
            for name, shares in names.spotlights
        )
        blocks.append(Text(translate("digest.spotlight", locale, people=people)))
    if names.asked_for_tips:
        people = ", ".join(names.asked_for_tips)
        blocks.append(Text(translate("digest.tips", locale, people=people)))
    return blocks


def week_labels(week_start: datetime, *, weeks: int, locale: str) -> list[str]:
    """The last day of each seven-day window as the reader writes it: '23 Nov', '23 nov'."""
    first = week_start - WEEK * (weeks - 1)
    ends = [first + WEEK * index + timedelta(days=6) for index in range(weeks)]
    # "d MMM" is a CLDR pattern: Babel puts each language's month abbreviation in it.
    return [format_day(end.date(), locale, length="d MMM") for end in ends]


def digest_chart(digest: ManagerDigest) -> Attachment:
    """The twelve weeks of shares, clicks and people sharing as a PNG (rendered on demand)."""
    locale = digest.locale
    png = weekly_chart(
        title=translate(f"digest.chart.{digest.scope}", locale),
        labels=week_labels(digest.week_start, weeks=len(digest.weeks), locale=locale),
        series={
            translate("stats.series.shares", locale): [w.shares for w in digest.weeks],
            translate("stats.series.clicks", locale): [w.clicks for w in digest.weeks],
            translate("stats.series.sharers", locale): [w.sharers for w in digest.weeks],
        },
    )
    return Attachment("social-boost-12-weeks.png", png, translate("digest.chart.title", locale))


async def names_for(session: AsyncSession, digest: ManagerDigest) -> Names:
    """Current names of the people a digest mentions: spotlights still consenting, reports only."""
    ids = {person for person, _ in digest.spotlights} | set(digest.asked_for_tips)
    if not ids:
        return Names()
    query = select(Person.id, Person.display_name, Person.consent_spotlight).where(
        Person.id.in_(ids), Person.manager_id == digest.manager_id
    )
    people = {row[0]: (row[1], row[2]) for row in (await session.execute(query)).all()}
    unnamed = translate("digest.unnamed", digest.locale)
    return Names(
        spotlights=tuple(
            (people[pid][0] or unnamed, shares)
            for pid, shares in digest.spotlights
            if pid in people and people[pid][1]
        ),
        asked_for_tips=tuple(
            people[pid][0] or unnamed for pid in digest.asked_for_tips if pid in people
        ),
    )


# ---------------------------------------------------------------- storage between plan and send


def to_payload(digest: ManagerDigest) -> dict[str, Any]:
    """The digest as JSON-ready data (ids and counts, no names)."""
    data = dataclasses.asdict(digest)
    data["week_start"] = digest.week_start.isoformat()
    return data


def from_payload(data: dict[str, Any]) -> ManagerDigest:
    """The digest stored by `to_payload`."""
    return ManagerDigest(
        manager_id=int(data["manager_id"]),
        locale=str(data["locale"]),
        week_start=datetime.fromisoformat(data["week_start"]),
        scope="team" if data["scope"] == "team" else "organisation",
        in_programme=int(data["in_programme"]),
        weeks=tuple(WeekCounts(**week) for week in data["weeks"]),
        top_items=tuple(ItemCount(**item) for item in data["top_items"]),
        spotlights=tuple((int(p), int(n)) for p, n in data["spotlights"]),
        asked_for_tips=tuple(int(p) for p in data["asked_for_tips"]),
        suggestion=str(data["suggestion"]),
        suggestion_item=str(data.get("suggestion_item", "")),
    )


async def plan_digests(
    services: Services,
    *,
    workspace: Workspace,
    occurrence: datetime,
    zone_name: str | None = None,
) -> int:
    """Store this week's digest of every manager (in one zone, or all) and queue its send.

    The digest covers the seven days before the occurrence. The slot is the manager's ISO
    week, so a second run in the same week queues nobody twice and stores nothing new.
    """
    digests = await build_digests(services, workspace_id=workspace.id, week_start=occurrence - WEEK)
    async with services.db.session() as session:
        zones = await _manager_zones(session, workspace=workspace)
        slots = {
            digest.manager_id: f"{DIGEST}:{week_of(occurrence, zones[digest.manager_id])}"
            for digest in digests
            if digest.manager_id in zones and zone_name in (None, zones[digest.manager_id])
        }
        planned = [PlannedDelivery(m, slot, DIGEST, occurrence) for m, slot in slots.items()]
        # Figures are stored only with a new outbox row, so none outlive a sent digest.
        existing = await _already_planned(session, planned=planned)
        session.add_all(
            StoredDigest(
                manager_id=digest.manager_id,
                slot=slots[digest.manager_id],
                payload=to_payload(digest),
                created_at=services.clock.now(),
            )
            for digest in digests
            if digest.manager_id in slots
            and (digest.manager_id, slots[digest.manager_id]) not in existing
        )
        return await outbox.plan(session, planned=planned)


async def _already_planned(
    session: AsyncSession, *, planned: list[PlannedDelivery]
) -> set[tuple[int, str]]:
    slots = {entry.slot for entry in planned}
    query = select(Delivery.person_id, Delivery.slot).where(
        Delivery.slot.in_(slots), Delivery.kind == DIGEST
    )
    return {(row[0], row[1]) for row in (await session.execute(query)).all()}


async def _manager_zones(session: AsyncSession, *, workspace: Workspace) -> dict[int, str]:
    """Each reachable manager's time zone (their own, else the workspace's)."""
    managers = select(Person.manager_id).where(
        Person.workspace_id == workspace.id, Person.manager_id.is_not(None)
    )
    query = select(Person.id, Person.timezone).where(
        Person.id.in_(managers.scalar_subquery()),
        ~IMPORTED,
    )
    fallback = workspace.timezone or "UTC"
    # The same zone names the schedule's jobs use (content_store.schedules.recipient_zones).
    return {row[0]: row[1] or fallback for row in (await session.execute(query)).all()}


class DigestDelivery:
    """The manager digest as a direct message, composed from the figures stored at planning."""

    async def compose(self, services: Services, claimed: ClaimedDelivery) -> Reply | None:
        """The stored digest with current names and a fresh chart; None when none is stored."""
        async with services.db.session() as session:
            stored = await session.get(StoredDigest, (claimed.person_id, claimed.slot))
            if stored is None:
                return None
            digest = from_payload(stored.payload)
            names = await names_for(session, digest)
        reply = await drawn(digest_reply, digest, names)
        return dataclasses.replace(reply, tag=f"delivery:{claimed.delivery_id}")

    def wanted(self, person: PersonState, *, now: datetime) -> bool:
        """A manager's digest is part of their role, not of the programme: while they exist."""
        return True

    async def sent(self, session: AsyncSession, claimed: ClaimedDelivery, *, now: datetime) -> None:
        """Drop the stored figures: they were only kept to compose this one message."""
        await session.execute(
            delete(StoredDigest).where(
                StoredDigest.manager_id == claimed.person_id, StoredDigest.slot == claimed.slot
            )
        )
