"""The Slack adapter: Bolt listeners that read payloads into neutral values and show answers.

Which use case a command or a button runs is decided in `handlers/` (the command registry and
the action dispatcher); this module only knows Slack's shapes and surfaces.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from aiohttp import ClientSession, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.exc import DBAPIError

from bot.slack import payloads
from bot.slack.messenger import DeliveryFailed, SlackMessenger, SlackProfile, user_profile
from bot.slack.render import render_home, render_item_blocks, render_message, render_modal
from bot.slack.request_checks import plausible_timestamp
from domain.errors import InvalidInput
from handlers import commands, home, programme
from handlers.actions import Press, Surface
from handlers.context import Services, error_reply
from handlers.dispatch import Answer, Placement, dispatch
from handlers.types import Actor, ContentCard, Reply, ShareReady, Text
from messages import translate

log = logging.getLogger(__name__)
# The database went away (restart, failover): the person is told, the listener does not crash.
DATABASE_DOWN = (DBAPIError, ConnectionError, TimeoutError)
PLATFORM = "slack"
# A dialog opened for one person: the share panel from Home, a channel pick's own version.
PERSONAL_CALLBACK = "personal.view"
# Remembered in the dialog: it was opened from Home, so Home is redrawn after changes.
FROM_HOME = "home"
_PROFILE_CACHE_LIMIT = 10_000
_Kept = TypeVar("_Kept")
# After a refused profile lookup the person is served without one for this long, then asked
# for again: a limit or an outage at Slack is not worth holding every press of theirs up.
PROFILE_RETRY_AFTER = timedelta(minutes=10)


def _bounded(cache: dict[str, _Kept]) -> dict[str, _Kept]:
    """`cache`, emptied first when it has grown to _PROFILE_CACHE_LIMIT entries."""
    if len(cache) >= _PROFILE_CACHE_LIMIT:
        cache.clear()
    return cache


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
        # Profiles are looked up on the press's own path, so without waiting out a 429: the
        # messenger's client would wait out up to five (`build_web_client`) before answering.
        self._lookups = AsyncWebClient(token=client.token, base_url=client.base_url)
        self._profiles: dict[str, SlackProfile] = {}
        self._refused: dict[str, datetime] = {}
        self._http: ClientSession | None = None
        register(self)

    async def open_http(self) -> None:
        """One connection pool for the Web API and response URLs while the server runs.

        Without it slack_sdk opens a session, and a TCP connection, for every single call.
        """
        self._http = ClientSession()
        self.client.session = self._lookups.session = self._http

    async def close_http(self) -> None:
        """Close the connection pool (server shutdown)."""
        if self._http is not None:
            self.client.session = self._lookups.session = None
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
            **payloads.conversation(body),
        )

    async def _profile(self, user: str) -> SlackProfile:
        # Only a speed-up: any replica can ask Slack again, so nothing is lost across replicas.
        if user in self._profiles:
            return self._profiles[user]
        now = self.services.clock.now()
        unknown = SlackProfile(locale=None, tz=None, name="", email=None)
        if self._refused.get(user, now) > now:
            return unknown
        try:
            found = await user_profile(self._lookups, user)
        except DeliveryFailed:
            # Not kept as the profile: a refusal (rate limit, outage) is not the person's, and
            # kept it would leave them without their language and time zone until a restart.
            _bounded(self._refused)[user] = now + PROFILE_RETRY_AFTER
            return unknown
        self._refused.pop(user, None)
        _bounded(self._profiles)[user] = found
        return found

    async def handle(self, request: web.Request) -> web.Response:
        """POST /slack/events: Bolt verifies the signature, acks and runs the listeners."""
        if not plausible_timestamp(request.headers.get("X-Slack-Request-Timestamp")):
            # Bolt would crash with a 500 on a timestamp that is not a small number.
            return web.json_response({"error": "invalid request"}, status=401)
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def respond(self, respond: AsyncRespond, reply: Reply, *, replace: bool = False) -> None:
        """Answer through the response URL: ephemeral, or replacing the message pressed."""
        text, blocks = render_pair(reply)
        await self.respond_raw(respond, text, blocks, replace=replace)

    async def respond_raw(
        self, respond: AsyncRespond, text: str, blocks: list[dict[str, Any]], *, replace: bool
    ) -> None:
        """Send already rendered blocks to the response URL."""
        how: dict[str, Any] = (
            {"replace_original": True} if replace else {"response_type": "ephemeral"}
        )
        if self._http is None or respond.response_url is None:
            await respond(text=text, blocks=blocks, **how)
            return
        webhook = AsyncWebhookClient(url=respond.response_url, session=self._http)
        await webhook.send_dict({"text": text, "blocks": blocks, **how})

    async def direct(self, actor: Actor, reply: Reply) -> None:
        """Send to the person's DM with the bot (where files stay)."""
        await self.messenger.send_to_user(
            workspace_id=actor.workspace_id, user_id=actor.user_id, reply=reply
        )

    async def publish_home(self, actor: Actor, *, notice: Reply | None = None) -> None:
        """Redraw the person's Home tab, with the answer to what they just did on top."""
        page = await home.home(self.services, actor)
        if notice is not None:
            page = Reply(blocks=(*notice.blocks, *page.blocks))
        await self.client.views_publish(user_id=actor.user_id, view=render_home(page))

    async def open_dialog(
        self, actor: Actor, trigger_id: str, reply: Reply, *, origin: str
    ) -> None:
        """Open a dialog for the person (it needs a submit button when it holds an input)."""
        await self.client.views_open(trigger_id=trigger_id, view=dialog(reply, actor, origin))


def dialog(reply: Reply, actor: Actor, origin: str) -> dict[str, Any]:
    """A personal dialog holding `reply`; `origin` says where it was opened from."""
    has_input = any(isinstance(block, ContentCard) for block in reply.blocks)
    return render_modal(
        reply,
        title=translate("slack.personal.title", actor.locale),
        callback_id=PERSONAL_CALLBACK,
        submit=translate("slack.personal.close", actor.locale) if has_input else None,
        close=translate("slack.personal.dismiss", actor.locale),
        private_metadata=origin,
    )


def register(adapter: SlackAdapter) -> None:
    """Attach the listeners: commands, events, every button, and the dialog's submit."""
    app = adapter.bolt
    app.command("/boost")(_on_command(adapter))
    app.event("app_home_opened")(_on_home_opened(adapter))
    app.event("message")(_on_direct_message(adapter))
    # Every button and input: the neutral dispatcher decides; unknown ids are answered there.
    app.action(re.compile(r".*"))(_on_action(adapter))
    app.view(PERSONAL_CALLBACK)(_ack_only)


Listener = Callable[..., Awaitable[None]]


async def _ack_only(ack: AsyncAck) -> None:
    await ack()


# ---------------------------------------------------------------- /boost and DMs


def _on_command(adapter: SlackAdapter) -> Listener:
    async def on_command(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        text = payloads.decode_text(str(body.get("text", "")))
        fetching = _fetches(text)
        # A page fetch takes seconds: say so at once, in the acknowledgement itself.
        if fetching:
            await ack(text=translate("slack.working", None))
        else:
            await ack()
        actor = await adapter.actor(body)
        try:
            reply = await commands.run_command(
                adapter.services, actor, text, messenger=adapter.messenger
            )
            await _show_command_reply(adapter, actor, respond, reply, replace=fetching)
        except InvalidInput as error:
            refusal = await error_reply(adapter.services, actor, error)
            await adapter.respond(respond, refusal, replace=fetching)
        except (DeliveryFailed, SlackApiError) as failure:
            # Slack refused a call we made: say so plainly instead of going quiet.
            log.warning("/boost failed at Slack: %s", _slack_error(failure))
            await adapter.respond(respond, Reply.text(translate("slack.failed", actor.locale)))
        except DATABASE_DOWN as outage:
            log.warning("/boost failed: database unavailable: %s", type(outage).__name__)
            await adapter.respond(respond, Reply.text(translate("error.unavailable", actor.locale)))

    return on_command


def _fetches(text: str) -> bool:
    try:
        spec, _ = commands.find(text)
    except InvalidInput:
        return False
    return spec.fetches


async def _show_command_reply(
    adapter: SlackAdapter, actor: Actor, respond: AsyncRespond, reply: Reply, *, replace: bool
) -> None:
    if reply.files:
        # Files go to the person's DM, where they stay; the command only says where they went.
        await adapter.direct(actor, reply)
        reply = Reply.text(translate("slack.sent_to_dm", actor.locale))
    await adapter.respond(respond, reply, replace=replace)


def _on_home_opened(adapter: SlackAdapter) -> Listener:
    async def on_home(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") != "home" or not await payloads.first_time(adapter.services, body):
            return
        actor = await adapter.actor({"team_id": body.get("team_id"), "user_id": event.get("user")})
        await adapter.publish_home(actor)
        welcome = await programme.welcome_once(adapter.services, actor)
        if welcome is not None:
            await adapter.direct(actor, welcome)

    return on_home


def _on_direct_message(adapter: SlackAdapter) -> Listener:
    async def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        if not await payloads.first_time(adapter.services, body):
            return
        actor = await adapter.actor({"team_id": body.get("team_id"), "user_id": event.get("user")})
        text = payloads.decode_text(str(event.get("text", "")))
        try:
            reply = await commands.run_command(
                adapter.services, actor, text, messenger=adapter.messenger
            )
        except InvalidInput as error:
            reply = await error_reply(adapter.services, actor, error)
        await adapter.direct(actor, reply)

    return on_message


# ---------------------------------------------------------------- buttons


def _on_action(adapter: SlackAdapter) -> Listener:
    async def on_action(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        actor = await adapter.actor(body)
        press = payloads.press(body)
        if press is None:
            return  # a ticked box or a typed caption: read when a button is pressed
        try:
            answer = await dispatch(adapter.services, actor, press, messenger=adapter.messenger)
            await _show(adapter, actor, body, respond, press, answer)
        except (DeliveryFailed, SlackApiError) as failure:
            log.warning("action failed at Slack: %s", _slack_error(failure))
            await adapter.respond(respond, Reply.text(translate("slack.failed", actor.locale)))
        except DATABASE_DOWN as outage:
            log.warning("action failed: database unavailable: %s", type(outage).__name__)
            await adapter.respond(respond, Reply.text(translate("error.unavailable", actor.locale)))

    return on_action


async def _show(
    adapter: SlackAdapter,
    actor: Actor,
    body: dict[str, Any],
    respond: AsyncRespond,
    press: Press,
    answer: Answer,
) -> None:
    """Show an answer on the surface the button was on, the way Slack allows there."""
    reply = answer.reply
    if reply is None or answer.placement is Placement.NONE:
        return
    if answer.placement is Placement.DIRECT:
        await adapter.direct(actor, reply)
        if not payloads.in_direct_message(body):
            await _in_place(adapter, actor, body, respond, press, Answer(_sent_note(actor)))
        return
    if answer.placement is Placement.PERSONAL:
        await adapter.open_dialog(actor, str(body["trigger_id"]), reply, origin="")
        return
    await _in_place(adapter, actor, body, respond, press, answer)


async def _in_place(
    adapter: SlackAdapter,
    actor: Actor,
    body: dict[str, Any],
    respond: AsyncRespond,
    press: Press,
    answer: Answer,
) -> None:
    reply = answer.reply or Reply()
    replace = answer.placement is Placement.REPLACE
    if press.surface is Surface.HOME:
        if _interactive(reply):
            # Home cannot hold a share panel in place of a card: it opens in a dialog.
            await adapter.open_dialog(actor, str(body["trigger_id"]), reply, origin=FROM_HOME)
            await adapter.publish_home(actor)
        else:
            await adapter.publish_home(actor, notice=reply)
        return
    if press.surface is Surface.MODAL:
        view = body["view"]
        origin = str(view.get("private_metadata") or "")
        await adapter.client.views_update(
            view_id=str(view["id"]), view=dialog(reply, actor, origin)
        )
        if origin == FROM_HOME and answer.refresh_home:
            await adapter.publish_home(actor)
        return
    if replace and answer.item is not None and press.surface is Surface.MESSAGE:
        # Only this item's blocks change; the other items (and their typed captions) stay.
        message = body.get("message") or {}
        blocks = render_item_blocks(reply, answer.item, around=list(message.get("blocks", [])))
        text = str(message.get("text") or render_message(reply).text)
        await adapter.respond_raw(respond, text, blocks, replace=True)
        return
    # An ephemeral message cannot be read back: an item's new panel comes as a new one,
    # leaving the other picks usable.
    whole = replace and answer.item is None
    await adapter.respond(respond, reply, replace=whole)


def _interactive(reply: Reply) -> bool:
    return any(isinstance(block, ContentCard | ShareReady) for block in reply.blocks)


def _sent_note(actor: Actor) -> Reply:
    return Reply(blocks=(Text(translate("slack.sent_to_dm", actor.locale)),))


def _slack_error(failure: Exception) -> str:
    return str(getattr(failure, "error", type(failure).__name__))
