"""One table from button id to use case, shared by every platform: adapters only read and render."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from domain.errors import InvalidInput
from handlers import (
    accounts,
    button_values,
    channel_mode,
    content_library,
    insights,
    my_data,
    programme,
    sharing,
    workspace_admin,
)
from handlers import actions as ids
from handlers.actions import Press
from handlers.context import Invocation, Services, error_reply
from handlers.types import Actor, Messenger, Reply


class Placement(enum.StrEnum):
    """Where an answer goes, in words every platform can map to its own surfaces."""

    REPLACE = "replace"  # instead of what the button sat on (an item's part when `item` is set)
    REPLY = "reply"  # a new answer only the person sees, next to where they pressed
    DIRECT = "direct"  # the person's direct conversation with the bot (files, things to keep)
    PERSONAL = "personal"  # a personal view opened just for them (a dialog, or their own chat)
    NONE = "none"  # nothing to show (a link button: the client opened the page)


@dataclass(frozen=True)
class Answer:
    """What a press leads to: a reply, where it goes, and whether the person's page changed."""

    reply: Reply | None
    placement: Placement = Placement.REPLY
    # Set when only one item's part of the message is replaced (its card or share panel).
    item: int | None = None
    # The person's own page (Slack's Home tab) shows what changed and should be redrawn.
    refresh_home: bool = False


Run = Callable[[Invocation, Press], Awaitable[Answer]]


@dataclass(frozen=True)
class ActionSpec:
    """One row: a button id and the use case it runs."""

    action_id: str
    run: Run
    # Its use case is one unit of work that calls nothing outside the database, so a platform
    # may run it in the same transaction as its own once-only check of the press.
    database_only: bool = False


async def _answer_invitation(ctx: Invocation, press: Press) -> Answer:
    reply = await programme.answer_invitation(ctx.services, ctx.actor, press.value)
    return Answer(reply, Placement.REPLACE, refresh_home=True)


async def _share(ctx: Invocation, press: Press) -> Answer:
    content_id, source = button_values.item_value(press.value)
    network = ids.SHARE_ACTIONS[press.action_id]
    caption = press.text(ids.caption_input(content_id)) or ""
    request = sharing.ShareRequest(content_id, network, caption, source=source)
    reply = await sharing.share(ctx.services, ctx.actor, request)
    return Answer(reply, Placement.REPLACE, item=content_id, refresh_home=True)


async def _confirm(ctx: Invocation, press: Press) -> Answer:
    content_id, network = button_values.share_value(press.value)
    reply = await sharing.confirm(ctx.services, ctx.actor, content_id=content_id, network=network)
    return Answer(reply, Placement.REPLACE, item=content_id, refresh_home=True)


async def _post_now(ctx: Invocation, press: Press) -> Answer:
    content_id, network = button_values.share_value(press.value)
    reply = await accounts.post_now(ctx.services, ctx.actor, content_id=content_id, network=network)
    return Answer(reply, Placement.REPLACE, item=content_id, refresh_home=True)


def _post_later(*, cancel: bool) -> Run:
    async def run(ctx: Invocation, press: Press) -> Answer:
        content_id, network = button_values.share_value(press.value)
        change = accounts.cancel_post_later if cancel else accounts.post_later
        reply = await change(ctx.services, ctx.actor, content_id=content_id, network=network)
        return Answer(reply, Placement.REPLACE, item=content_id)

    return run


async def _disconnect(ctx: Invocation, press: Press) -> Answer:
    return Answer(
        await accounts.disconnect(ctx.services, ctx.actor, press.value), Placement.REPLACE
    )


async def _nothing(ctx: Invocation, press: Press) -> Answer:
    return Answer(None, Placement.NONE)


def _feedback(kind: str) -> Run:
    async def run(ctx: Invocation, press: Press) -> Answer:
        content_id, _ = button_values.item_value(press.value)
        reply = await sharing.give_feedback(
            ctx.services, ctx.actor, content_id=content_id, kind=kind
        )
        return Answer(reply, Placement.REPLY, refresh_home=True)

    return run


async def _save_preferences(ctx: Invocation, press: Press) -> Answer:
    reply = await programme.save_preferences(
        ctx.services, ctx.actor, programme.PreferenceChoices.from_press(press)
    )
    return Answer(reply, Placement.REPLY, refresh_home=True)


async def _export_my_data(ctx: Invocation, press: Press) -> Answer:
    return Answer(await my_data.export_reply(ctx.services, ctx.actor), Placement.DIRECT)


async def _ask_forget(ctx: Invocation, press: Press) -> Answer:
    return Answer(await my_data.confirm_forget_reply(ctx.services, ctx.actor), Placement.REPLY)


async def _erase(ctx: Invocation, press: Press) -> Answer:
    reply = await my_data.forget_me(ctx.services, ctx.actor)
    return Answer(reply, Placement.REPLACE, refresh_home=True)


def _moderate(approve: bool) -> Run:
    async def run(ctx: Invocation, press: Press) -> Answer:
        content_id = button_values.content_id(press.value)
        change = content_library.approve if approve else content_library.reject
        return Answer(await change(ctx.services, ctx.actor, content_id), Placement.REPLACE)

    return run


async def _save_preview(ctx: Invocation, press: Press) -> Answer:
    reply = await content_library.save_preview(ctx.services, ctx.actor, press.value)
    return Answer(reply, Placement.REPLACE)


async def _cancel_preview(ctx: Invocation, press: Press) -> Answer:
    reply = await content_library.cancel_preview(ctx.services, ctx.actor, press.value)
    return Answer(reply, Placement.REPLACE)


async def _personal_version(ctx: Invocation, press: Press) -> Answer:
    content_id, _ = button_values.item_value(press.value)
    reply = await channel_mode.personal_version(ctx.services, ctx.actor, content_id)
    return Answer(reply, Placement.PERSONAL)


async def _tell_manager(ctx: Invocation, press: Press) -> Answer:
    return Answer(await insights.tell_manager(ctx.services, ctx.actor), Placement.REPLACE)


async def _offered_tips(ctx: Invocation, press: Press) -> Answer:
    reply = await insights.tips(ctx.services, ctx.actor, offered=True)
    return Answer(reply, Placement.REPLACE)


async def _tell_content_team(ctx: Invocation, press: Press) -> Answer:
    return Answer(await insights.tell_content_team(ctx.services, ctx.actor), Placement.REPLACE)


def _programme_switch(*, paused: bool) -> Run:
    async def run(ctx: Invocation, press: Press) -> Answer:
        reply = await workspace_admin.set_paused(ctx.services, ctx.actor, paused=paused)
        return Answer(reply, Placement.REPLACE)

    return run


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(ids.PROGRAMME_ANSWER, _answer_invitation),
    *(ActionSpec(action_id, _share, database_only=True) for action_id in ids.SHARE_ACTIONS),
    ActionSpec(ids.SHARE_CONFIRM, _confirm, database_only=True),
    ActionSpec(ids.SHARE_POST_NOW, _post_now),
    ActionSpec(ids.SHARE_POST_LATER, _post_later(cancel=False)),
    ActionSpec(ids.SHARE_POST_CANCEL, _post_later(cancel=True)),
    ActionSpec(ids.ACCOUNTS_DISCONNECT, _disconnect),
    ActionSpec(ids.SHARE_OPEN, _nothing),
    ActionSpec(ids.OPEN_LINK, _nothing),
    ActionSpec(ids.FEEDBACK_NOT_FOR_ME, _feedback("not_for_me"), database_only=True),
    ActionSpec(ids.FEEDBACK_MORE_LIKE_THIS, _feedback("more_like_this"), database_only=True),
    ActionSpec(ids.PREFS_SAVE, _save_preferences),
    ActionSpec(ids.PRIVACY_EXPORT, _export_my_data),
    ActionSpec(ids.PRIVACY_FORGET, _ask_forget),
    ActionSpec(ids.PRIVACY_ERASE, _erase),
    ActionSpec(ids.CONTENT_APPROVE, _moderate(approve=True)),
    ActionSpec(ids.CONTENT_REJECT, _moderate(approve=False)),
    ActionSpec(ids.CONTENT_SAVE, _save_preview),
    ActionSpec(ids.CONTENT_CANCEL, _cancel_preview),
    ActionSpec(ids.PICKS_PERSONAL, _personal_version),
    ActionSpec(ids.TIPS_MANAGER, _tell_manager),
    ActionSpec(ids.TIPS_CONTENT_TEAM, _tell_content_team),
    ActionSpec(ids.INSIGHTS_TIPS, _offered_tips),
    ActionSpec(ids.PROGRAMME_PAUSE_CONFIRM, _programme_switch(paused=True)),
    ActionSpec(ids.PROGRAMME_RESUME_CONFIRM, _programme_switch(paused=False)),
)
_BY_ID = {spec.action_id: spec for spec in ACTIONS}


def known(action_id: str) -> bool:
    """Whether a button id has a row in the table."""
    return action_id in _BY_ID


def database_only(action_id: str) -> bool:
    """Whether the button's use case only touches the database (see ActionSpec)."""
    spec = _BY_ID.get(action_id)
    return spec is not None and spec.database_only


async def dispatch(
    services: Services, actor: Actor, press: Press, *, messenger: Messenger
) -> Answer:
    """Run the use case behind a pressed button; a refusal is answered, never raised."""
    spec = _BY_ID.get(press.action_id)
    if spec is None:
        error = InvalidInput(
            "button.unknown", "That button no longer works; ask for your picks again."
        )
        return Answer(await error_reply(services, actor, error), Placement.REPLY)
    try:
        return await spec.run(Invocation(services, actor, messenger), press)
    except InvalidInput as error:
        return Answer(await error_reply(services, actor, error), Placement.REPLY)
