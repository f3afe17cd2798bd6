"""Motivation groups as use cases: regroup, a person's own group, the content team's lists, tips."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.analytics.insights import (
    asked_content_team,
    content_team_marks,
    insight_of,
    people_in_group,
    person_by_user,
    store_placed,
    team_members,
    workspace_rows,
)
from content_store.events import record_event
from content_store.models import PersonInsight, Workspace
from domain.errors import InvalidInput
from domain.events import EventType
from domain.programme import Role
from handlers import actions
from handlers.context import Caller, Services, load_caller, record_for, require_role
from handlers.types import Actions, Actor, Button, Reply, Text
from insights.grouping import Group, Mark
from insights.rows import PlacedColumns, regroup_rows
from messages import format_day, format_duration, translate
from offload.worker import run_bounded, start_ahead

log = logging.getLogger(__name__)

TIPS = ("tips.own_words", "tips.one_a_week", "tips.pick_topics", "tips.add_why")
LIST_LIMIT = 50
# How long the content team's list shows that someone asked them for help.
ASKED_FOR_HELP_SHOWN = timedelta(weeks=8)
# How far back a push from outside the bot may be logged.
NUDGE_LOG_PAST = timedelta(days=90)
# Placing 50,000 people takes 7 to 14 s on a busy machine (bench/RESULTS.md); the cap is generous.
REGROUP_SECONDS = 300.0
_LEGACY_COUNT = {
    "insights.evidence.steady": "of",
    "insights.evidence.quiet": "weeks",
}


async def regroup_workspace(services: Services, *, workspace_id: int) -> PlacedColumns:
    """Recompute and store every person's group in one workspace.

    Only the queries run here, their rows fetched into columns a batch at a time; building
    each person's figures, their signals and groups is CPU-bound (seconds for a large
    workspace), so it runs in the CPU worker, with no database connection held meanwhile. The
    groups come back as columns ready to insert, and replace the stored ones in one
    transaction. Iterating the result gives who went where.
    """
    now = services.clock.now()
    thresholds = services.insight_thresholds
    # The worker's first start (seconds) overlaps the queries instead of following them.
    starting = asyncio.create_task(start_ahead())
    try:
        async with services.db.session() as session:
            rows = await workspace_rows(session, workspace_id=workspace_id)
            marks = await content_team_marks(session, workspace_id=workspace_id)
        await starting
    finally:
        starting.cancel()  # when the queries failed; nothing once it is done
    placed = await run_bounded(
        regroup_rows,
        rows,
        now=now,
        thresholds=thresholds,
        marks=marks,
        seconds=REGROUP_SECONDS,
    )
    async with services.db.session() as session:
        await store_placed(session, workspace_id=workspace_id, placed=placed, now=now)
    return placed


async def regroup_all(services: Services) -> int:
    """Regroup every workspace (the nightly job); how many people were placed."""
    async with services.db.session() as session:
        ids = list((await session.execute(select(Workspace.id).order_by(Workspace.id))).scalars())
    placed = 0
    for workspace_id in ids:
        placed += len(await regroup_workspace(services, workspace_id=workspace_id))
    log.info("insights: %d people regrouped in %d workspaces", placed, len(ids))
    return placed


async def own_insight(services: Services, actor: Actor) -> Reply:
    """A person's own group and why, for and against, in kind words; nobody else sees this."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        insight = await insight_of(session, person_id=caller.person.id)
    locale = caller.locale
    if insight is None:
        return Reply.text(translate("insights.own.none", locale))
    headline = insight.headline or f"insights.own.{insight.group}"
    blocks: list[Text | Actions] = [
        Text(translate("insights.own.title", locale), heading=True),
        Text(translate(headline, locale)),
    ]
    sides = (
        ("for", "insights.own.for"),
        ("against", "insights.own.against"),
        ("", "insights.own.also"),
    )
    for side, title in sides:
        lines = [_evidence_line(i, locale) for i in insight.evidence if i.get("side", "") == side]
        if lines:
            blocks.append(Text(translate(title, locale) + "\n" + "\n".join(lines)))
    if insight.group == Group.NEEDS_HELP.value:
        # The bot's own offer: accepting it never counts as asking for help.
        button = Button(translate("insights.own.tips_button", locale), actions.INSIGHTS_TIPS, "yes")
        blocks.append(Actions((button,)))
    return Reply(blocks=tuple(blocks))


def _evidence_line(item: dict[str, Any], locale: str) -> str:
    return "• " + evidence_text(item, locale)


def evidence_text(item: dict[str, Any], locale: str) -> str:
    """One stored piece of evidence as the person reads it, in their language."""
    key, params = str(item["key"]), dict(item.get("params") or {})
    # Evidence stored before the plural catalogs named its number differently; the nightly
    # regroup rewrites it, until then the old name is the count.
    legacy = _LEGACY_COUNT.get(key, "")
    if "count" not in params and legacy in params:
        params["count"] = params[legacy]
    if isinstance(params.get("days"), int):  # a window of days, said as the language says it
        params["days"] = format_duration(timedelta(days=params["days"]), locale, in_days=True)
    if isinstance(params.get("hours"), int):
        params["hours"] = format_duration(timedelta(hours=params["hours"]), locale)
    return translate(key, locale, **params)


async def group_list(services: Services, actor: Actor, group: Group) -> Reply:
    """The self-driven or needs-help list, for the content team and admins only."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        members = await people_in_group(
            session, workspace_id=caller.workspace.id, group=group.value
        )
        asked = await asked_content_team(
            session,
            workspace_id=caller.workspace.id,
            since=services.clock.now() - ASKED_FOR_HELP_SHOWN,
        )
    locale = caller.locale
    title = translate(f"insights.list.{group.value}", locale, count=len(members))
    if not members:
        return Reply(
            blocks=(Text(title, heading=True), Text(translate("insights.list.empty", locale)))
        )
    # The ones we are sure of first; "not sure yet" shown as such, never as a percentage.
    members = sorted(members, key=lambda pair: not pair[1].sure)
    lines = [
        _list_line(person.display_name or person.external_id, insight, person.id in asked, locale)
        for person, insight in members[:LIST_LIMIT]
    ]
    if len(members) > LIST_LIMIT:
        lines.append(translate("insights.list.more", locale, more=len(members) - LIST_LIMIT))
    return Reply(blocks=(Text(title, heading=True), Text("\n".join(lines))))


def _list_line(name: str, insight: PersonInsight, asked: bool, locale: str) -> str:
    if not insight.sure:
        line = translate("insights.list.line_not_sure", locale, name=name)
    else:
        confidence = round(insight.confidence * 100)
        line = translate("insights.list.line", locale, name=name, confidence=confidence)
    if asked:
        line += translate("insights.list.asked", locale)
    return line


async def refresh(services: Services, actor: Actor) -> Reply:
    """Regroup the caller's workspace now (content team and admins)."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
    placements = await regroup_workspace(services, workspace_id=caller.workspace.id)
    counts = {group: 0 for group in Group}
    for placement in placements:
        counts[placement.group] += 1
    return Reply.text(
        translate(
            "insights.refreshed",
            caller.locale,
            self_driven=counts[Group.SELF_DRIVEN],
            needs_help=counts[Group.NEEDS_HELP],
            not_interested=counts[Group.NOT_INTERESTED],
        )
    )


async def tips(services: Services, actor: Actor, *, offered: bool = False) -> Reply:
    """A few concrete tips, and a button to let one's manager know help is welcome.

    `offered`: the person accepted the bot's own offer, which never counts as asking for help.
    """
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await _help_asked(session, services, caller, share_with_manager=False, offered=offered)
    locale = caller.locale
    lines = "\n".join(f"• {translate(key, locale)}" for key in TIPS)
    button = Button(translate("tips.manager.button", locale), actions.TIPS_MANAGER, "yes")
    return Reply(
        blocks=(
            Text(translate("tips.title", locale), heading=True),
            Text(lines),
            Actions((button,)),
        )
    )


async def tell_manager(services: Services, actor: Actor) -> Reply:
    """The person asks that their manager hears they would like help (the digest reads this).

    Without a manager on record nobody would hear it: say so, and offer the content team.
    """
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        if caller.person.manager_id is not None:
            await _help_asked(session, services, caller, share_with_manager=True)
    locale = caller.locale
    if caller.person.manager_id is not None:
        return Reply.text(translate("tips.manager.done", locale))
    button = Button(translate("tips.content_team.button", locale), actions.TIPS_CONTENT_TEAM, "yes")
    return Reply(blocks=(Text(translate("tips.manager.none", locale)), Actions((button,))))


async def tell_content_team(services: Services, actor: Actor) -> Reply:
    """The person asks that the content team hears they would like help (their list shows it)."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await _help_asked(
            session, services, caller, share_with_manager=False, share_with_content_team=True
        )
    return Reply.text(translate("tips.content_team.done", caller.locale))


async def _help_asked(
    session: AsyncSession,
    services: Services,
    caller: Caller,
    *,
    share_with_manager: bool,
    share_with_content_team: bool = False,
    offered: bool = False,
) -> None:
    payload: dict[str, Any] = {"share_with_manager": share_with_manager}
    if offered:
        payload["offered"] = True
    if share_with_content_team:
        payload["share_with_content_team"] = True
    await record_for(
        session, caller, EventType.HELP_ASKED, at=services.clock.now(), payload=payload
    )


async def mark(services: Services, actor: Actor, *, user_id: str, mark: Mark | None) -> Reply:
    """The content team notes how they know someone: it anchors the workspace's calibration.

    Only the content team and admins may do this; nobody else ever sees a mark.
    """
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        person = await person_by_user(session, workspace_id=caller.workspace.id, user_id=user_id)
        if person is None:
            raise InvalidInput("insights.mark_unknown", "I don't know '{user}' yet.", user=user_id)
        await record_event(
            session,
            workspace_id=caller.workspace.id,
            person_id=person.id,
            type=EventType.MARKED,
            payload={"mark": mark.value if mark else "none", "by": caller.person.id},
            at=services.clock.now(),
        )
    key = f"insights.marked.{mark.value}" if mark else "insights.marked.none"
    name = person.display_name or person.external_id
    return Reply.text(translate(key, caller.locale, name=name))


async def log_nudge(services: Services, actor: Actor, *, team: str, day: date) -> Reply:
    """Log a push from outside the bot (a campaign, a team meeting) for a team on a day.

    Each member gets a `nudged_elsewhere` event at the start of that day (UTC), so shares
    soon after it count as nudged, as shares soon after the bot's own messages do.
    """
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        if day > now.date() + timedelta(days=1) or day < now.date() - NUDGE_LOG_PAST:
            raise InvalidInput(
                "insights.nudge_day",
                "Log a push on a day from the last 90 days up to tomorrow, not {day}.",
                day=format_day(day, caller.locale),
            )
        members = await team_members(session, workspace_id=caller.workspace.id, team=team)
        at = datetime.combine(day, time(0, 0), tzinfo=UTC)
        for person_id in members:
            await record_event(
                session,
                workspace_id=caller.workspace.id,
                person_id=person_id,
                type=EventType.NUDGED_ELSEWHERE,
                payload={"by": caller.person.id},
                at=at,
            )
    locale = caller.locale
    if not members:
        return Reply.text(translate("insights.nudge.nobody", locale, team=team))
    return Reply.text(
        translate(
            "insights.nudge.logged",
            locale,
            count=len(members),
            team=team,
            day=format_day(day, locale),
        )
    )
