"""A person's own page (Slack's Home tab, Teams' personal chat): status, choices, picks, history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.accounts import connected
from content_store.models import ContentItem, Share
from content_store.people import person_topics, workspace_topics
from domain.errors import InvalidInput
from domain.networks import NETWORK_RULES, Network
from domain.programme import ProgrammeStatus
from handlers import actions
from handlers.context import Caller, Services, load_caller
from handlers.programme import preference_inputs, welcome_reply
from handlers.types import Actions, Actor, Block, Button, Reply, Text
from handlers.weekly_picks import show_picks
from messages import format_day, translate

HISTORY_LENGTH = 10


async def home(services: Services, actor: Actor) -> Reply:
    """Everything a person can see and change about their own participation."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        chosen, _ = await person_topics(session, person_id=caller.person.id)
        topics = await workspace_topics(session, workspace_id=caller.workspace.id)
        history = await _history(session, caller)
        accounts = await _accounts_blocks(session, services, caller, actor)
    locale = caller.locale
    blocks: list[Block] = [Text(translate("home.title", locale), heading=True)]
    if caller.person.status is not ProgrammeStatus.IN:
        blocks += welcome_reply(locale).blocks[1:]
        return Reply(blocks=tuple(blocks))
    blocks += [
        Text(translate("home.status.in", locale)),
        *preference_inputs(caller, chosen, topics),
    ]
    blocks += await _picks(services, actor)
    blocks += _history_blocks(history, locale)
    blocks += accounts
    blocks.append(_data_actions(locale))
    return Reply(blocks=tuple(blocks))


async def _picks(services: Services, actor: Actor) -> list[Block]:
    try:
        return list((await show_picks(services, actor, source="home")).blocks)
    except InvalidInput as error:  # paused programme: say so instead of picks
        return [Text(error.message)]


async def _history(session: AsyncSession, caller: Caller) -> list[tuple[str, str, str, bool]]:
    query = (
        select(ContentItem.title, Share.network, Share.intent_at, Share.confirmed_at)
        .join(ContentItem, ContentItem.id == Share.content_id)
        .where(Share.person_id == caller.person.id)
        .order_by(Share.intent_at.desc())
        .limit(HISTORY_LENGTH)
    )
    rows = (await session.execute(query)).all()
    return [
        (
            title,
            NETWORK_RULES[Network(net)].label,
            format_day(at.date(), caller.locale, length="medium"),
            confirmed is not None,
        )
        for title, net, at, confirmed in rows
    ]


async def _accounts_blocks(
    session: AsyncSession, services: Services, caller: Caller, actor: Actor
) -> list[Block]:
    """Which accounts are connected, and the command that connects or disconnects them."""
    networks = services.accounts.networks()
    if not networks:
        return []
    locale = caller.locale
    mine = {a.network: a for a in await connected(session, person_id=caller.person.id)}
    lines = []
    for network in networks:
        label = NETWORK_RULES[network].label
        account = mine.get(network)
        if account is None:
            lines.append(translate("accounts.not_connected", locale, network=label))
        else:
            name = account.display_name or label
            lines.append(translate("accounts.connected", locale, network=label, name=name))
    command = f"{services.capabilities(actor.platform).command_prefix}accounts"
    return [
        Text(translate("accounts.title", locale), heading=True),
        Text("\n".join(lines)),
        Text(translate("accounts.home_hint", locale, command=command)),
    ]


def _history_blocks(history: list[tuple[str, str, str, bool]], locale: str) -> list[Block]:
    heading = Text(translate("home.history", locale), heading=True)
    if not history:
        return [heading, Text(translate("home.history.none", locale))]
    posted = translate("home.history.posted", locale)
    lines = [
        f"{day} · {network} · {title}" + (f" ({posted})" if done else "")
        for title, network, day, done in history
    ]
    return [heading, Text("\n".join(lines))]


def _data_actions(locale: str) -> Actions:
    return Actions(
        (
            Button(translate("home.my_data", locale), actions.PRIVACY_EXPORT, "json"),
            Button(translate("home.forget_me", locale), actions.PRIVACY_FORGET, "ask", "danger"),
        )
    )
