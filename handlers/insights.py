"""Motivation groups as use cases: regroup, a person's own group, the content team's lists, tips."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.insights import (
    insight_of,
    people_in_group,
    store_placements,
    workspace_signals,
)
from content_store.models import Workspace
from domain.events import EventType
from domain.programme import Role
from handlers import actions
from handlers.context import Caller, Services, load_caller, record_for, require_role
from handlers.types import Actions, Actor, Button, Reply, Text
from insights.grouping import Group, Placement, place
from messages import translate

log = logging.getLogger(__name__)

TIPS = ("tips.own_words", "tips.one_a_week", "tips.pick_topics", "tips.add_why")
LIST_LIMIT = 50
_LEGACY_COUNT = {
    "insights.evidence.unprompted": "shares",
    "insights.evidence.steady": "of",
    "insights.evidence.quiet": "weeks",
}


async def regroup_workspace(services: Services, *, workspace_id: int) -> list[Placement]:
    """Recompute and store every person's group in one workspace, in one transaction."""
    now = services.clock.now()
    thresholds = services.insight_thresholds
    async with services.db.session() as session:
        signals = await workspace_signals(
            session,
            workspace_id=workspace_id,
            now=now,
            nudge_window_seconds=thresholds.nudge_window_seconds,
        )
        placements = [place(one, thresholds) for one in signals]
        await store_placements(session, workspace_id=workspace_id, placements=placements, now=now)
    return placements


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
    """A person's own group and why, in kind words; nobody else sees this view."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        insight = await insight_of(session, person_id=caller.person.id)
    locale = caller.locale
    if insight is None:
        return Reply.text(translate("insights.own.none", locale))
    lines = [_evidence_line(item, locale) for item in insight.evidence]
    blocks: list[Text] = [
        Text(translate("insights.own.title", locale), heading=True),
        Text(translate(f"insights.own.{insight.group}", locale)),
    ]
    if lines:
        blocks.append(Text(translate("insights.own.why", locale) + "\n" + "\n".join(lines)))
    return Reply(blocks=tuple(blocks))


def _evidence_line(item: dict[str, Any], locale: str) -> str:
    key, params = str(item["key"]), dict(item.get("params") or {})
    # Evidence stored before the plural catalogs named its number differently; the nightly
    # regroup rewrites it, until then the old name is the count.
    legacy = _LEGACY_COUNT.get(key, "")
    if "count" not in params and legacy in params:
        params["count"] = params[legacy]
    return "• " + translate(key, locale, **params)


async def group_list(services: Services, actor: Actor, group: Group) -> Reply:
    """The self-driven or needs-help list, for the content team and admins only."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        members = await people_in_group(
            session, workspace_id=caller.workspace.id, group=group.value
        )
    locale = caller.locale
    title = translate(f"insights.list.{group.value}", locale, count=len(members))
    if not members:
        return Reply(
            blocks=(Text(title, heading=True), Text(translate("insights.list.empty", locale)))
        )
    lines = [
        translate(
            "insights.list.line",
            locale,
            name=person.display_name or person.external_id,
            confidence=round(insight.confidence * 100),
        )
        for person, insight in members[:LIST_LIMIT]
    ]
    if len(members) > LIST_LIMIT:
        lines.append(translate("insights.list.more", locale, more=len(members) - LIST_LIMIT))
    return Reply(blocks=(Text(title, heading=True), Text("\n".join(lines))))


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


async def tips(services: Services, actor: Actor) -> Reply:
    """A few concrete tips, and a button to let one's manager know help is welcome."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await _help_asked(session, services, caller, share_with_manager=False)
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
    """The person asks that their manager hears they would like help (the digest reads this)."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await _help_asked(session, services, caller, share_with_manager=True)
    return Reply.text(translate("tips.manager.done", caller.locale))


async def _help_asked(
    session: AsyncSession, services: Services, caller: Caller, *, share_with_manager: bool
) -> None:
    await record_for(
        session,
        caller,
        EventType.HELP_ASKED,
        at=services.clock.now(),
        payload={"share_with_manager": share_with_manager},
    )
