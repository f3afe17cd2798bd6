"""Channel mode: the week's picks in a shared channel, with a personal version for each reader."""

from __future__ import annotations

import dataclasses
import re

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.content import get_content
from content_store.models import ChannelPost, Workspace
from content_store.people import person_topics
from content_store.upsert import insert_or_ignore
from domain.errors import InvalidInput
from domain.programme import Role
from handlers import actions
from handlers.context import (
    Caller,
    Services,
    audit,
    load_caller,
    require_participant,
    require_role,
)
from handlers.sharing import require_live
from handlers.types import Actions, Actor, Block, Button, Messenger, Reply, Text
from handlers.weekly_picks import (
    PreparedPicks,
    load_candidates,
    load_profile,
    picks_reply,
    record_delivery,
    week_of,
    with_caption,
)
from messages import translate
from picks import PersonProfile, Pick, PickReason, ReasonKind, choose_picks, reason_key

_CHANNEL = re.compile(r"^<#([A-Za-z0-9:@._-]{3,200})(?:\|([^>]*))?>$|^([CG][A-Z0-9]{2,40})$")
HERE = "here"


def parse_channel(text: str, actor: Actor) -> tuple[str, str]:
    """The channel id and name from 'here' (where the command was typed), a channel mention
    (<#C123|name>) or a bare Slack channel id."""
    if text.strip().lower() == HERE:
        if not actor.conversation_id:
            raise InvalidInput(
                "channel.here", "Say 'channel here' in the channel itself, where I was added."
            )
        return actor.conversation_id, actor.conversation_name or ""
    match = _CHANNEL.match(text.strip())
    if not match:
        raise InvalidInput(
            "channel.invalid",
            "'{text}' is not a channel: mention it with #, or say 'channel here' in it.",
            text=text[:60],
        )
    return match.group(1) or match.group(3), match.group(2) or ""


async def set_channel(services: Services, actor: Actor, text: str | None) -> Reply:
    """Show the picks channel, or (admins) set it; 'none' turns channel mode off."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        workspace = caller.workspace
        if text is None:
            current = channel_label(
                workspace.picks_channel, workspace.picks_channel_name, caller.locale
            )
            return Reply.text(translate("channel.current", caller.locale, channel=current))
        require_role(caller, Role.ADMIN)
        off = text.strip().lower() == "none"
        channel, name = ("", "") if off else parse_channel(text, actor)
        workspace.picks_channel, workspace.picks_channel_name = channel, name[:200]
        audit(session, caller, "programme.channel", channel)
    # Said where it was asked: which channel gets the picks is no secret.
    if not channel:
        return Reply(blocks=(Text(translate("channel.off", caller.locale)),), private=False)
    label = channel_label(channel, name, caller.locale)
    saved = translate("channel.saved", caller.locale, channel=label)
    return Reply(blocks=(Text(saved),), private=False)


def channel_label(channel: str, name: str, locale: str) -> str:
    """How people know a channel: #name; a channel whose platform gave no name (Teams does
    not name a team's General channel) is described, never shown as an internal id."""
    if name:
        return f"#{name.lstrip('#')}"
    return translate("channel.unnamed", locale) if channel else "—"


async def post_channel_picks(
    services: Services, messenger: Messenger, *, workspace: Workspace
) -> bool:
    """Post this week's picks to the workspace's channel, once a week; True if posted now."""
    if not workspace.picks_channel or workspace.paused:
        return False
    slot = "channel:" + week_of(services.clock.now(), workspace.timezone)
    async with services.db.session() as session:
        candidates = await load_candidates(session, workspace_id=workspace.id, services=services)
        claimed = await insert_or_ignore(
            session,
            ChannelPost,
            {
                "workspace_id": workspace.id,
                "slot": slot,
                "status": "pending",
                "created_at": services.clock.now(),
            },
            conflict_columns=("workspace_id", "slot"),
        )
    picks = choose_picks(
        person=PersonProfile(),
        candidates=[c for _, c in candidates.values()],
        now=services.clock.now(),
        limit=services.picks_per_week,
        seed=slot,
    )
    if not claimed or not picks:
        return False
    reply = channel_reply(
        [
            (candidates[p.content_id][0].title, candidates[p.content_id][0].canonical_url, p)
            for p in picks
        ],
        locale=workspace.locale,
    )
    message_id = await messenger.send_to_channel(
        workspace_id=workspace.external_id, channel_id=workspace.picks_channel, reply=reply
    )
    async with services.db.session() as session:
        await session.execute(
            update(ChannelPost)
            .where(ChannelPost.workspace_id == workspace.id, ChannelPost.slot == slot)
            .values(status="sent", platform_message_id=message_id)
        )
    return True


def channel_reply(items: list[tuple[str, str, Pick]], *, locale: str) -> Reply:
    """The channel post: each pick's title and link, and a 'Get my version' button."""
    blocks: list[Block] = [Text(translate("channel.title", locale), heading=True)]
    for title, url, pick in items:
        reason = translate(reason_key(pick.reason), locale, topic=pick.reason.topic)
        blocks.append(Text(f"{title}\n{url}\n{reason}"))
        blocks.append(
            Actions(
                (
                    Button(
                        translate("channel.mine", locale),
                        actions.PICKS_PERSONAL,
                        str(pick.content_id),
                        "primary",
                    ),
                )
            )
        )
    return Reply(blocks=tuple(blocks), private=False)


async def personal_version(services: Services, actor: Actor, content_id: int) -> Reply:
    """One channel pick as the person's own card: their caption, their networks, their reason."""
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_participant(caller)
        item = await get_content(session, workspace_id=caller.workspace.id, content_id=content_id)
        require_live(item, now=now)
        pick = await _personal_pick(session, caller, services, content_id)
    shown = [await with_caption(services, caller, item, pick)]
    slot = (
        f"channel:{week_of(now, caller.person.timezone or caller.workspace.timezone)}:{content_id}"
    )
    prepared = PreparedPicks(caller=caller, slot=slot, shown=shown, fresh=True)
    async with services.db.session() as session:
        await record_delivery(
            session, prepared=prepared, services=services, status="shown", source="channel"
        )
    return picks_reply(caller, shown, services=services, source="channel")


async def _personal_pick(
    session: AsyncSession, caller: Caller, services: Services, content_id: int
) -> Pick:
    chosen, inferred = await person_topics(session, person_id=caller.person.id)
    profile = await load_profile(session, caller=caller, chosen=chosen, inferred=inferred)
    # The person asked for this very item, so what they saw or shared before does not hide it.
    open_profile = dataclasses.replace(
        profile, excluded_content_ids=frozenset(), not_for_me_content_ids=frozenset()
    )
    candidates = await load_candidates(session, workspace_id=caller.workspace.id, services=services)
    candidate = candidates[content_id][1]
    found = choose_picks(
        person=open_profile,
        candidates=[candidate],
        now=services.clock.now(),
        limit=1,
        seed=str(caller.person.id),
    )
    return found[0] if found else Pick(content_id, 0.0, PickReason(ReasonKind.DISCOVER))
