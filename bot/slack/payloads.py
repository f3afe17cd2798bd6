"""Slack payloads to neutral values: who acts, which item, which caption."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.slack.render import LEGACY_CAPTION_ACTION, neutral_action_id
from content_store.events import first_delivery
from domain.errors import InvalidInput
from handlers.actions import Press, Surface
from handlers.context import Services


def team_id(body: Mapping[str, Any]) -> str:
    """The workspace of any payload: commands carry team_id, interactions team.id."""
    team = body.get("team")
    found = team.get("id") if isinstance(team, Mapping) else body.get("team_id")
    if not isinstance(found, str) or not found:
        raise InvalidInput("slack.payload", "The request from Slack has no workspace.")
    return found


def user_id(body: Mapping[str, Any]) -> str:
    """The acting user of any payload."""
    user = body.get("user")
    found = user.get("id") if isinstance(user, Mapping) else body.get("user_id")
    if not isinstance(found, str) or not found:
        raise InvalidInput("slack.payload", "The request from Slack has no user.")
    return found


def conversation(body: Mapping[str, Any]) -> dict[str, str]:
    """The channel a command was typed or a button pressed in, unless it is a direct message."""
    channel = body.get("channel")
    if isinstance(channel, Mapping):
        found, name = channel.get("id"), channel.get("name")
    else:
        found, name = body.get("channel_id"), body.get("channel_name")
    if not isinstance(found, str) or not found or found.startswith("D"):
        return {}
    return {"conversation_id": found, "conversation_name": str(name or "")}


# ---------------------------------------------------------------- typed text

# Slack's markup in typed text: <@U1|name>, <#C1|name>, <!here>, <mailto:a@b|a@b>, <url|label>.
_MARKUP = re.compile(r"<([^<>]*)>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def decode_text(text: str) -> str:
    """Typed text as the person wrote it: Slack's escaping and link markup undone.

    People stay mentions in the neutral form `<@U123>`, channels as `<#C123|name>` (a
    command reads the id, a topic the name); links become the bare URL; mail links, special
    mentions and user groups become their label.
    """
    pieces: list[str] = []
    position = 0
    for match in _MARKUP.finditer(text):
        pieces.append(_entities(text[position : match.start()]))
        pieces.append(_plain_markup(match))
        position = match.end()
    pieces.append(_entities(text[position:]))
    return "".join(pieces)


def _plain_markup(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@") and len(target) > 1:
        return f"<{target}>"
    if target.startswith("#") and len(target) > 1:
        return f"<{target}|{_entities(label)}>" if label else f"<{target}>"
    if target.startswith("!"):
        return _entities(label) or "@" + target[1:].split("^")[0]
    if target.lower().startswith("mailto:"):
        return _entities(label or target[7:])
    if target.lower().startswith(("http://", "https://")):
        return _entities(target)
    return _entities(match.group(0))


def _entities(text: str) -> str:
    for escaped, plain in _ENTITIES:
        text = text.replace(escaped, plain)
    return text


# ---------------------------------------------------------------- button presses


def press(body: Mapping[str, Any]) -> Press | None:
    """The button pressed in a block_actions payload, with every input of its surface.

    None for a change to an input (a ticked box, a picked date): those are read when a
    button is pressed, so nothing is saved half-way.
    """
    found = (body.get("actions") or [None])[0]
    if not isinstance(found, Mapping) or found.get("type") != "button":
        return None
    return Press(
        action_id=neutral_action_id(str(found.get("action_id", ""))),
        value=str(found.get("value") or ""),
        inputs=inputs(body),
        surface=surface(body),
    )


def surface(body: Mapping[str, Any]) -> Surface:
    """Where the pressed button was: a message, an ephemeral message, Home or a dialog."""
    view = body.get("view")
    if isinstance(view, Mapping):
        return Surface.HOME if view.get("type") == "home" else Surface.MODAL
    container = body.get("container")
    if isinstance(container, Mapping) and container.get("is_ephemeral"):
        return Surface.EPHEMERAL
    return Surface.MESSAGE if body.get("message") else Surface.EPHEMERAL


def inputs(body: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Every input's value by neutral input id, from the message's or the view's state."""
    view = body.get("view") if isinstance(body.get("view"), Mapping) else {}
    state = body.get("state") or (view or {}).get("state") or {}
    values = state.get("values") if isinstance(state, Mapping) else None
    found: dict[str, tuple[str, ...]] = {}
    for block_id, elements in (values or {}).items():
        if not isinstance(elements, Mapping):
            continue
        for action_id, element in elements.items():
            if isinstance(element, Mapping):
                key = _input_id(str(block_id), str(action_id))
                found[key] = found.get(key, ()) + _element_values(element)
    return found


def _input_id(block_id: str, action_id: str) -> str:
    # Messages sent before input ids were neutral named the caption by its block only.
    return block_id if action_id == LEGACY_CAPTION_ACTION else action_id


def _element_values(element: Mapping[str, Any]) -> tuple[str, ...]:
    """What one input holds: typed text, ticked options, the picked option or date."""
    kind = element.get("type")
    if kind == "plain_text_input":
        return (str(element.get("value") or ""),)
    if kind == "datepicker":
        picked = element.get("selected_date")
        return (str(picked),) if picked else ()
    options = element.get("selected_options")
    if options is None:
        options = [element["selected_option"]] if element.get("selected_option") else []
    return tuple(
        str(option["value"])
        for option in options
        if isinstance(option, Mapping) and isinstance(option.get("value"), str)
    )


def in_direct_message(body: Mapping[str, Any]) -> bool:
    """Whether the pressed button sits in the person's DM with the bot (channel ids D…)."""
    channel = body.get("channel")
    channel_id = channel.get("id") if isinstance(channel, Mapping) else None
    return isinstance(channel_id, str) and channel_id.startswith("D")


async def first_time(services: Services, body: Mapping[str, Any]) -> bool:
    """False for an event Slack delivered before (it retries when we answer slowly)."""
    event_id = str(body.get("event_id", ""))
    if not event_id:
        return True
    now = services.clock.now()
    async with services.db.session() as session:
        return await first_delivery(session, platform="slack", event_id=event_id, now=now)
