"""Teams activities to neutral values: who acts, where, which button, what was typed."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from microsoft_agents.activity import Activity, ChannelAccount, Mention

from bot.teams.render import ACTION_KEY, VALUE_KEY
from domain.errors import InvalidInput
from handlers.actions import CAPTION_PREFIX, Press
from handlers.types import Actor

PLATFORM = "teams"
PERSONAL = "personal"
_AT = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)

# Looks up a conversation member's account (to learn the id behind a mention).
MemberLookup = Callable[[str], Awaitable[ChannelAccount | None]]


def tenant_id(activity: Activity) -> str:
    """The tenant (our workspace) of an activity: conversation.tenantId or channelData."""
    found = activity.conversation.tenant_id if activity.conversation else None
    if not found and isinstance(activity.channel_data, dict):
        tenant = activity.channel_data.get("tenant")
        found = tenant.get("id") if isinstance(tenant, dict) else None
    if not isinstance(found, str) or not found:
        raise InvalidInput("teams.payload", "The message from Teams has no tenant.")
    return found


def person_id(account: ChannelAccount | None) -> str:
    """A person's key: their Entra object id (stable, the org chart's), else their Teams id."""
    if account is None:
        raise InvalidInput("teams.payload", "The message from Teams has no sender.")
    found = account.aad_object_id or account.id
    if not found:
        raise InvalidInput("teams.payload", "The message from Teams has no sender.")
    return str(found)


def valid_timezone(name: str | None) -> str | None:
    """`name` if it is an IANA time zone this machine knows, else None."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def actor(activity: Activity, *, email: str | None = None) -> Actor:
    """The neutral actor: tenant, person, and the locale and time zone Teams reports."""
    sender = activity.from_property
    return Actor(
        PLATFORM,
        tenant_id(activity),
        person_id(sender),
        locale=activity.locale or None,
        timezone=valid_timezone(activity.local_timezone),
        display_name=(sender.name or None) if sender else None,
        email=email,
        **_shared_conversation(activity),
    )


def _shared_conversation(activity: Activity) -> dict[str, str]:
    """The channel or group chat written in (its id without the thread), unless personal."""
    conversation = activity.conversation
    if conversation is None or conversation_kind(activity) == PERSONAL or not conversation.id:
        return {}
    channel = (
        activity.channel_data.get("channel") if isinstance(activity.channel_data, dict) else None
    )
    name = channel.get("name") if isinstance(channel, dict) else None
    return {
        "conversation_id": str(conversation.id).split(";messageid=")[0],
        "conversation_name": str(name or conversation.name or ""),
    }


def conversation_kind(activity: Activity) -> str:
    """'personal', 'channel' or 'groupChat' (Teams' conversationType)."""
    conversation = activity.conversation
    kind = conversation.conversation_type if conversation else None
    return str(kind or PERSONAL)


def stored_reference(activity: Activity) -> dict[str, Any]:
    """The conversation reference to keep for later messages, without people's names."""
    reference = activity.get_conversation_reference()
    data: dict[str, Any] = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
    # Both name the incoming request, not the conversation; a later message starts afresh.
    data.pop("activityId", None)
    data.pop("requestId", None)
    for account in ("user", "bot"):
        if isinstance(data.get(account), dict):
            data[account].pop("name", None)
    if isinstance(data.get("conversation"), dict):
        data["conversation"].pop("name", None)
    return data


def press(activity: Activity) -> Press | None:
    """The card button pressed, when a message carries an Action.Submit value.

    Teams sends every input of the card with the press: a caption as typed, a multiple
    choice as its values joined by commas, a date as YYYY-MM-DD.
    """
    value = activity.value
    if not isinstance(value, dict) or not isinstance(value.get(ACTION_KEY), str):
        return None
    inputs = {
        str(key): _input_values(str(key), found)
        for key, found in value.items()
        if key not in (ACTION_KEY, VALUE_KEY)
    }
    return Press(
        action_id=str(value[ACTION_KEY]), value=str(value.get(VALUE_KEY) or ""), inputs=inputs
    )


def _input_values(key: str, found: Any) -> tuple[str, ...]:
    text = found if isinstance(found, str) else ""
    if key.startswith(CAPTION_PREFIX):
        return (text,)  # a caption is text, commas and all
    return tuple(part for part in (piece.strip() for piece in text.split(",")) if part)


async def command_text(activity: Activity, *, lookup: MemberLookup) -> str:
    """What was typed to the bot: its own @mention removed, other mentions as `<@person>`."""
    text = activity.text or ""
    for mention in _mentions(activity):
        mentioned = mention.mentioned
        if mention.text is None or mentioned is None:
            continue
        if activity.recipient is not None and mentioned.id == activity.recipient.id:
            text = text.replace(mention.text, " ")
            continue
        account = mentioned if mentioned.aad_object_id else await lookup(str(mentioned.id))
        if account is not None:
            text = text.replace(mention.text, f" <@{person_id(account)}> ")
    return " ".join(_AT.sub(r"\1", text).split())


def _mentions(activity: Activity) -> list[Mention]:
    try:
        return activity.get_mentions()
    except (ValueError, TypeError):
        return []
