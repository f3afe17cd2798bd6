"""The Slack adapter: Bolt listeners that turn payloads into handler calls and render replies."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.exc import DBAPIError

from bot.slack import payloads
from bot.slack.messenger import DeliveryFailed, SlackMessenger, SlackProfile, user_profile
from bot.slack.render import read_caption, read_choices, render_home, render_message, render_modal
from content_store.events import first_delivery
from domain.errors import InvalidInput
from domain.networks import Network
from domain.programme import Consent
from handlers import (
    button_values,
    channel_mode,
    content_library,
    home,
    insights,
    my_data,
    programme,
    sharing,
)
from handlers.command_parser import parse_command
from handlers.commands import ContentPreview, error_reply, run_command
from handlers.content_preview import pack_new_content, unpack_new_content
from handlers.context import Services, load_caller
from handlers.types import Actor, ContentCard, Reply
from messages import translate

log = logging.getLogger(__name__)
# The database went away (restart, failover): the person is told, the listener does not crash.
DATABASE_DOWN = (DBAPIError, ConnectionError, TimeoutError)
PLATFORM = "slack"
ADD_CALLBACK = "content.add"
PERSONAL_CALLBACK = "picks.personal"
_PROFILE_CACHE_LIMIT = 10_000


@dataclass(frozen=True)
class Replacement:
    """Raw Slack blocks for the message a button sits in (other items' edits kept)."""

    text: str
    blocks: list[dict[str, Any]]


Shown = Reply | Replacement | None


def render_pair(reply: Reply) -> tuple[str, list[dict[str, Any]]]:
    """A neutral reply as Slack's notification text and Block Kit blocks."""
    message = render_message(reply)
    return message.text, message.blocks


class SlackAdapter:
    """One Slack app: the Bolt listeners, the Web API client and the messenger."""

    def __init__(self, *, services: Services, client: AsyncWebClient, signing_secret: str) -> None:
        self.services = services
        self.client = client
        self.messenger = SlackMessenger(client=client, render=render_pair)
        self.bolt = AsyncApp(client=client, signing_secret=signing_secret)
        self._profiles: dict[str, SlackProfile] = {}
        self._http: ClientSession | None = None
        register(self)

    async def open_http(self) -> None:
        """One connection pool for the Web API and response URLs while the server runs.

        Without it slack_sdk opens a session, and a TCP connection, for every single call.
        """
        self._http = ClientSession()
        self.client.session = self._http

    async def close_http(self) -> None:
        """Close the connection pool (server shutdown)."""
        if self._http is not None:
            self.client.session = None
            await self._http.close()
            self._http = None

    async def actor(self, body: dict[str, Any]) -> Actor:
        """The neutral actor of a payload, with the person's Slack locale and time zone."""
        user = payloads.user_id(body)
        profile = await self._profile(user)
        return Actor(
            PLATFORM,
            payloads.team_id(body),
            user,
            locale=profile.locale,
            timezone=profile.tz,
            display_name=profile.name or None,
            email=profile.email,
        )

    async def _profile(self, user: str) -> SlackProfile:
        # Only a speed-up: any replica can ask Slack again, so nothing is lost across replicas.
        if user not in self._profiles:
            try:
                found = await user_profile(self.client, user)
            except DeliveryFailed:
                found = SlackProfile(locale=None, tz=None, name="", email=None)
            if len(self._profiles) >= _PROFILE_CACHE_LIMIT:
                self._profiles.clear()
            self._profiles[user] = found
        return self._profiles[user]

    async def handle(self, request: web.Request) -> web.Response:
        """POST /slack/events: Bolt verifies the signature, acks and runs the listeners."""
        if not request.headers.get("X-Slack-Request-Timestamp", "").strip().isdigit():
            # Bolt would crash with a 500 on a timestamp that is not a number: refuse it here.
            return web.json_response({"error": "invalid request"}, status=401)
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def show(
        self, respond: AsyncRespond, reply: Reply | Replacement, *, replace: bool = False
    ) -> None:
        """Answer through the response URL (ephemeral, or replacing the message)."""
        text, blocks = (
            (reply.text, reply.blocks) if isinstance(reply, Replacement) else render_pair(reply)
        )
        how: dict[str, Any] = (
            {"replace_original": True}
            if replace or isinstance(reply, Replacement)
            else {"response_type": "ephemeral"}
        )
        if self._http is None or respond.response_url is None:
            await respond(text=text, blocks=blocks, **how)
            return
        webhook = AsyncWebhookClient(url=respond.response_url, session=self._http)
        await webhook.send_dict({"text": text, "blocks": blocks, **how})

    async def refusal(self, actor: Actor, error: InvalidInput) -> Reply:
        """A refusal in the person's language."""
        return await error_reply(self.services, actor, error)


Listener = Callable[..., Awaitable[None]]


def register(adapter: SlackAdapter) -> None:
    """Attach every listener to the adapter's Bolt app."""
    app = adapter.bolt
    app.command("/boost")(_on_command(adapter))
    app.view(ADD_CALLBACK)(_on_add_submitted(adapter))
    app.view(PERSONAL_CALLBACK)(_ack_only)
    app.action(re.compile(r"^picks\.personal(:\d+)?$"))(_on_personal_version(adapter))
    app.event("app_home_opened")(_on_home_opened(adapter))
    app.event("message")(_on_direct_message(adapter))
    for pattern, make in _ACTIONS.items():
        app.action(re.compile(pattern))(make(adapter))
    app.action(re.compile(r"^share\.open(:\d+)?$"))(_ack_only)


async def _ack_only(ack: AsyncAck) -> None:
    await ack()


# ---------------------------------------------------------------- /boost


def _on_command(adapter: SlackAdapter) -> Listener:
    async def on_command(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        actor = await adapter.actor(body)
        text = str(body.get("text", ""))
        try:
            if _is_add(text):
                await _add_with_preview(adapter, actor, text, trigger_id=str(body["trigger_id"]))
                return
            outcome = await run_command(adapter.services, actor, text, messenger=adapter.messenger)
            assert isinstance(outcome, Reply)
            await _deliver_reply(adapter, actor, respond, outcome)
        except InvalidInput as error:
            await adapter.show(respond, await adapter.refusal(actor, error))
        except (DeliveryFailed, SlackApiError) as failure:
            # Slack refused a call we made: say so plainly instead of going quiet.
            log.warning(
                "/boost failed at Slack: %s", getattr(failure, "error", type(failure).__name__)
            )
            await adapter.show(respond, Reply.text(translate("slack.failed", actor.locale)))
        except DATABASE_DOWN as outage:
            log.warning("/boost failed: database unavailable: %s", type(outage).__name__)
            await adapter.show(respond, Reply.text(translate("error.unavailable", actor.locale)))

    return on_command


def _is_add(text: str) -> bool:
    try:
        return parse_command(text).name == "add"
    except InvalidInput:
        return False


async def _deliver_reply(
    adapter: SlackAdapter, actor: Actor, respond: AsyncRespond, reply: Reply
) -> None:
    if reply.files:
        # Files go to the person's DM, where they stay; the command gets a short answer.
        await adapter.messenger.send_to_user(
            workspace_id=actor.workspace_id, user_id=actor.user_id, reply=reply
        )
        reply = Reply(blocks=reply.blocks)
    await adapter.show(respond, reply)


async def _add_with_preview(
    adapter: SlackAdapter, actor: Actor, text: str, *, trigger_id: str
) -> None:
    # The trigger id lives 3 s and a page may take 5 s: open a waiting modal first.
    locale = actor.locale
    waiting = render_modal(
        Reply.text(translate("slack.add.fetching", locale)),
        title=translate("slack.add.title", locale),
        callback_id="content.fetching",
    )
    opened = await adapter.client.views_open(trigger_id=trigger_id, view=waiting)
    view_id = str(opened["view"]["id"])
    try:
        outcome = await run_command(adapter.services, actor, text, messenger=adapter.messenger)
    except InvalidInput as error:
        view = render_modal(
            await adapter.refusal(actor, error),
            title=translate("slack.add.title", locale),
            callback_id="content.error",
        )
        await adapter.client.views_update(view_id=view_id, view=view)
        return
    assert isinstance(outcome, ContentPreview)
    await adapter.client.views_update(view_id=view_id, view=_preview_modal(outcome, locale))


def _preview_modal(preview: ContentPreview, locale: str | None) -> dict[str, Any]:
    return render_modal(
        preview.reply,
        title=translate("slack.add.title", locale),
        callback_id=ADD_CALLBACK,
        submit=translate("slack.add.save", locale),
        private_metadata=pack_new_content(preview.new),
    )


def _on_add_submitted(adapter: SlackAdapter) -> Listener:
    async def on_add(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await ack()
        actor = await adapter.actor(body)
        try:
            new = unpack_new_content(str(view.get("private_metadata", "")))
            reply = await content_library.add(adapter.services, actor, new)
        except InvalidInput as error:
            reply = await adapter.refusal(actor, error)
        except (ValueError, KeyError, TypeError):
            reply = Reply.text(translate("slack.add.expired", actor.locale))
        await adapter.messenger.send_to_user(
            workspace_id=actor.workspace_id, user_id=actor.user_id, reply=reply
        )

    return on_add


# ---------------------------------------------------------------- events


def _on_home_opened(adapter: SlackAdapter) -> Listener:
    async def on_home(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") != "home" or not await _first_time(adapter, body):
            return
        actor = await adapter.actor({"team_id": body.get("team_id"), "user_id": event.get("user")})
        await publish_home(adapter, actor)
        await _welcome_once(adapter, actor)

    return on_home


async def _first_time(adapter: SlackAdapter, body: dict[str, Any]) -> bool:
    event_id = str(body.get("event_id", ""))
    if not event_id:
        return True
    now = adapter.services.clock.now()
    async with adapter.services.db.session() as session:
        return await first_delivery(session, platform=PLATFORM, event_id=event_id, now=now)


async def publish_home(adapter: SlackAdapter, actor: Actor) -> None:
    """Render the person's own page into their Home tab."""
    reply = await home.home(adapter.services, actor)
    await adapter.client.views_publish(user_id=actor.user_id, view=render_home(reply))


async def _welcome_once(adapter: SlackAdapter, actor: Actor) -> None:
    """First contact: the welcome DM, never again once the person was invited."""
    async with adapter.services.db.session() as session:
        caller = await load_caller(session, actor, adapter.services)
        invited = caller.person.invited_at is not None
    if invited:
        return
    reply = await programme.welcome(adapter.services, actor)
    await adapter.messenger.send_to_user(
        workspace_id=actor.workspace_id, user_id=actor.user_id, reply=reply
    )


def _on_direct_message(adapter: SlackAdapter) -> Listener:
    async def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        if not await _first_time(adapter, body):
            return
        actor = await adapter.actor({"team_id": body.get("team_id"), "user_id": event.get("user")})
        text = str(event.get("text", "")).strip()
        try:
            outcome = await run_command(adapter.services, actor, text, messenger=adapter.messenger)
            reply = outcome.reply if isinstance(outcome, ContentPreview) else outcome
        except InvalidInput as error:
            reply = await adapter.refusal(actor, error)
        await adapter.messenger.send_to_user(
            workspace_id=actor.workspace_id, user_id=actor.user_id, reply=reply
        )

    return on_message


# ---------------------------------------------------------------- buttons and choices


Run = Callable[[SlackAdapter, Actor, dict[str, Any], dict[str, Any]], Awaitable[Shown]]


def _action(run: Run, *, replace: bool) -> Callable[[SlackAdapter], Listener]:
    """A button listener: ack, run, then show the reply (replacing the message or not)."""

    def make(adapter: SlackAdapter) -> Listener:
        async def on_action(
            ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
        ) -> None:
            await ack()
            actor = await adapter.actor(body)
            try:
                reply = await run(adapter, actor, body, action)
            except InvalidInput as error:
                reply, refused = await adapter.refusal(actor, error), True
            except (DeliveryFailed, SlackApiError) as failure:
                log.warning(
                    "action failed at Slack: %s", getattr(failure, "error", type(failure).__name__)
                )
                reply, refused = Reply.text(translate("slack.failed", actor.locale)), True
            except DATABASE_DOWN as outage:
                log.warning("action failed: database unavailable: %s", type(outage).__name__)
                await adapter.show(
                    respond, Reply.text(translate("error.unavailable", actor.locale))
                )
                return
            else:
                refused = False
            if _from_home(body):
                await publish_home(adapter, actor)
                return
            if _from_modal(body) and isinstance(reply, Reply):
                await _update_modal(adapter, actor, body, reply)
                return
            if reply is not None:
                await adapter.show(respond, reply, replace=replace and not refused)

        return on_action

    return make


def _from_home(body: dict[str, Any]) -> bool:
    view = body.get("view")
    return isinstance(view, dict) and view.get("type") == "home"


def _from_modal(body: dict[str, Any]) -> bool:
    view = body.get("view")
    return isinstance(view, dict) and view.get("type") == "modal"


def _state_values(body: dict[str, Any]) -> dict[str, Any]:
    """What the person typed: in the message's state, or in the modal's or Home view's."""
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    state = body.get("state") or (view or {}).get("state") or {}
    values = state.get("values", {})
    return values if isinstance(values, dict) else {}


async def _update_modal(
    adapter: SlackAdapter, actor: Actor, body: dict[str, Any], reply: Reply
) -> None:
    view = render_modal(
        reply,
        title=translate("slack.personal.title", actor.locale),
        callback_id=PERSONAL_CALLBACK,
        submit=_submit_label(reply, actor),
    )
    await adapter.client.views_update(view_id=str(body["view"]["id"]), view=view)


def _submit_label(reply: Reply, actor: Actor) -> str | None:
    # Slack requires a submit button on modals that hold an input (the editable caption).
    has_input = any(isinstance(block, ContentCard) for block in reply.blocks)
    return translate("slack.personal.close", actor.locale) if has_input else None


def _on_personal_version(adapter: SlackAdapter) -> Listener:
    async def on_personal(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        actor = await adapter.actor(body)
        try:
            content_id, _ = button_values.item_value(str(action.get("value", "")))
            reply = await channel_mode.personal_version(adapter.services, actor, content_id)
        except InvalidInput as error:
            reply = await adapter.refusal(actor, error)
        view = render_modal(
            reply,
            title=translate("slack.personal.title", actor.locale),
            callback_id=PERSONAL_CALLBACK,
            submit=_submit_label(reply, actor),
        )
        await adapter.client.views_open(trigger_id=str(body["trigger_id"]), view=view)

    return on_personal


async def _answer(
    adapter: SlackAdapter, actor: Actor, body: dict[str, Any], action: dict[str, Any]
) -> Reply:
    return await programme.answer_invitation(adapter.services, actor, str(action.get("value")))


async def _share(
    adapter: SlackAdapter, actor: Actor, body: dict[str, Any], action: dict[str, Any]
) -> Shown:
    content_id, source = button_values.item_value(str(action.get("value", "")))
    network = Network(str(action["action_id"]).split(":")[0].removeprefix("share."))
    caption = read_caption(_state_values(body), content_id) or ""
    request = sharing.ShareRequest(content_id, network, caption, source=source)
    ready = await sharing.share(adapter.services, actor, request)
    return ready if _from_modal(body) else _replaced(body, content_id, ready)


def _replaced(body: dict[str, Any], content_id: int, reply: Reply) -> Replacement:
    """The original message with one item's blocks swapped for `reply`'s."""
    message = body.get("message") or {}
    rendered = render_message(reply)
    blocks = payloads.replace_item_blocks(
        list(message.get("blocks", [])), content_id, rendered.blocks
    )
    return Replacement(text=str(message.get("text") or rendered.text), blocks=blocks)


async def _confirm(
    adapter: SlackAdapter, actor: Actor, body: dict[str, Any], action: dict[str, Any]
) -> Shown:
    content_id, network = button_values.share_value(str(action.get("value", "")))
    done = await sharing.confirm(adapter.services, actor, content_id=content_id, network=network)
    return done if _from_modal(body) else _replaced(body, content_id, done)


async def _feedback(
    adapter: SlackAdapter, actor: Actor, body: dict[str, Any], action: dict[str, Any]
) -> Reply:
    content_id, _ = button_values.item_value(str(action.get("value", "")))
    kind = str(action["action_id"]).split(":")[0].removeprefix("feedback.")
    return await sharing.give_feedback(adapter.services, actor, content_id=content_id, kind=kind)


async def _prefs(
    adapter: SlackAdapter, actor: Actor, body: dict[str, Any], action: dict[str, Any]
) -> Reply:
    values = body.get("state", {}).get("values", {}) or body.get("view", {}).get("state", {}).get(
        "values", {}
    )
    name = str(action["action_id"]).split(":")[0]
    chosen = read_choices(values, name) or _selected(action)
    services = adapter.services
    if name == "prefs.networks":
        return await programme.set_networks(services, actor, chosen)
    if name == "prefs.topics":
        return await programme.set_topics(services, actor, chosen)
    if name == "prefs.cadence":
        return await programme.set_cadence(
            services, actor, programme.parse_cadence(chosen[0] if chosen else "")
        )
    reply = Reply()
    for consent in Consent:
        reply = await programme.set_consent(services, actor, consent, given=consent.value in chosen)
    return reply


def _selected(action: dict[str, Any]) -> list[str]:
    if "selected_options" in action:
        return [str(o["value"]) for o in action["selected_options"]]
    option = action.get("selected_option")
    return [str(option["value"])] if option else []


async def _privacy(
    adapter: SlackAdapter, actor: Actor, body: dict[str, Any], action: dict[str, Any]
) -> Reply | None:
    name = str(action["action_id"]).split(":")[0]
    if name == "privacy.erase":
        return await my_data.forget_me(adapter.services, actor)
    text = "forget-me" if name == "privacy.forget" else "my-data"
    outcome = await run_command(adapter.services, actor, text, messenger=adapter.messenger)
    assert isinstance(outcome, Reply)
    await adapter.messenger.send_to_user(
        workspace_id=actor.workspace_id, user_id=actor.user_id, reply=outcome
    )
    return None


async def _moderate(
    adapter: SlackAdapter, actor: Actor, body: dict[str, Any], action: dict[str, Any]
) -> Reply:
    content_id = int(str(action.get("value", "0")) or 0)
    if str(action["action_id"]).startswith("content.approve"):
        return await content_library.approve(adapter.services, actor, content_id)
    return await content_library.reject(adapter.services, actor, content_id)


async def _tips_manager(
    adapter: SlackAdapter, actor: Actor, body: dict[str, Any], action: dict[str, Any]
) -> Reply:
    return await insights.tell_manager(adapter.services, actor)


_ACTIONS: dict[str, Callable[[SlackAdapter], Listener]] = {
    r"^programme\.answer(:\d+)?$": _action(_answer, replace=True),
    r"^share\.(linkedin|x|bluesky|facebook)(:\d+)?$": _action(_share, replace=True),
    r"^share\.confirm(:\d+)?$": _action(_confirm, replace=True),
    r"^feedback\.(not_for_me|more_like_this)(:\d+)?$": _action(_feedback, replace=False),
    r"^prefs\.(networks|topics|cadence|consents)(:\d+)?$": _action(_prefs, replace=False),
    r"^privacy\.(export|forget|erase)(:\d+)?$": _action(_privacy, replace=False),
    r"^content\.(approve|reject)(:\d+)?$": _action(_moderate, replace=True),
    r"^tips\.manager(:\d+)?$": _action(_tips_manager, replace=True),
}
