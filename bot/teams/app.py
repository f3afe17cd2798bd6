"""The Teams adapter: activities in, the same neutral handlers as Slack, Adaptive Cards out."""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from enum import Enum

from aiohttp import ClientError, web
from microsoft_agents.activity import Activity, ChannelAccount
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.teams import payloads
from bot.teams.cloud import (
    TeamsCredentials,
    Unauthorized,
    auth_configuration,
    authorize,
    build_cloud_adapter,
    check_local_service_url,
)
from bot.teams.messenger import TeamsMessenger, to_activity
from bot.teams.payloads import PERSONAL
from bot.teams.render import fits_card, render_card, render_messages
from bot.teams.seen import Seen
from content_store.events import first_delivery
from content_store.models import Workspace
from content_store.people import find_member, get_or_create_workspace
from content_store.teams_conversations import forget_conversation, save_conversation
from domain.errors import InvalidInput
from handlers import commands, programme
from handlers.actions import Press
from handlers.context import Services, error_reply
from handlers.dispatch import Answer, Placement, database_only, dispatch
from handlers.downloads import FilesAsLinks, as_links
from handlers.types import Actor, DeliveryError, Reply
from messages import normalise_locale, translate

log = logging.getLogger(__name__)


class _FirstContact(Exception):
    """Someone unknown (or whose e-mail is due to be asked) pressed a button: undo the shared
    transaction, take the usual way (Teams is asked outside it)."""


_THREAD = ";messageid="


class Contact(Enum):
    """What the database holds of the person behind an activity."""

    FIRST = "first"  # nobody yet: their first contact
    KNOWN = "known"
    NO_EMAIL = "no_email"  # stored without an e-mail: Teams could not tell it then


class TeamsAdapter:
    """One Teams bot: the SDK's CloudAdapter, this turn handler, and the proactive messenger."""

    def __init__(
        self,
        *,
        services: Services,
        credentials: TeamsCredentials | None,
        local_service_url: str = "",
    ) -> None:
        self.services = services
        self.anonymous = credentials is None
        # Anonymous local mode serves the Playground at this service URL and no other.
        self.local_service_url = local_service_url
        self.configuration = auth_configuration(credentials)
        self.cloud = build_cloud_adapter(self.configuration)
        self.messenger = TeamsMessenger(
            adapter=self.cloud,
            db=services.db,
            app_id=credentials.app_id if credentials else None,
        )
        # Teams bots cannot attach files in chats: people get a download link instead.
        self.outbound = FilesAsLinks(
            self.messenger, services=services, platform=payloads.PLATFORM, keep_inline=fits_card
        )
        self.seen = Seen()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """POST /api/messages: check the caller's token (or loopback in local mode), run a turn."""
        header = request.headers.get("Authorization")
        try:
            identity = await authorize(
                self.configuration, header, peer=request.remote, headers=request.headers
            )
            if self.anonymous:
                check_local_service_url(await request.read(), allowed=self.local_service_url)
        except Unauthorized as refused:
            log.warning("POST /api/messages refused: %s", refused.reason)
            return web.json_response({"error": "unauthorized"}, status=401)
        with warnings.catch_warnings():
            # The SDK reads the identity under this plain string key; aiohttp would rather
            # have a RequestKey, which the SDK does not know.
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            request["claims_identity"] = identity
        try:
            response = await self.cloud.process(request, self)
        except ValidationError:
            return web.json_response({"error": "not an activity"}, status=400)
        return response if response is not None else web.Response(status=200)

    async def close(self) -> None:
        """Close the connections to Teams kept across turns (at server shutdown)."""
        await self.cloud.aclose()

    async def on_turn(self, context: TurnContext) -> None:
        """The Agents SDK calls this for every incoming activity."""
        activity = context.activity
        try:
            await self._dispatch(context, activity)
        except InvalidInput as error:
            # Only malformed activities get here; people's input errors are answered below.
            log.warning("Teams activity ignored: %s", error.message)
        except ClientError as error:
            # Teams refused an answer within the turn (proactive sends raise DeliveryError).
            log.warning("Teams refused an answer: %s", type(error).__name__)
        except DeliveryError as failure:
            # The answer failed after its retries (already logged); the effect itself stays.
            log.warning("Teams answer not delivered: %s", failure.reason)

    async def _dispatch(self, context: TurnContext, activity: Activity) -> None:
        if activity.type == "installationUpdate":
            await self._on_installation(context)
        elif activity.type == "conversationUpdate":
            await self._remember(context)
        elif activity.type == "message":
            pressed = payloads.press(activity)
            if (
                pressed is not None
                and database_only(pressed.action_id)
                and await self._on_database_press(context, pressed)
            ):
                return
            actor = await self._remember_once(context, event_id=activity.id)
            if actor is None:
                return  # Teams delivered this activity before: no second effect
            if pressed is not None:
                await self._on_action(context, actor, pressed)
            else:
                await self._on_text(context, actor)

    # ------------------------------------------------------------ conversations

    async def _remember(self, context: TurnContext) -> Actor:
        """Store the conversation reference (every message refreshes it); the actor."""
        actor = await self._remember_once(context, event_id=None)
        assert actor is not None  # only a repeated event id gives None
        return actor

    async def _remember_once(self, context: TurnContext, *, event_id: str | None) -> Actor | None:
        """`_remember`, unless Teams delivered activity `event_id` before: then None, so that
        it has no second effect. The check and the reference share one transaction."""
        actor = payloads.actor(context.activity)
        contact = await self._store(context.activity, actor, event_id=event_id)
        if contact is None:
            return None
        if not self._asks_email(actor, contact):
            return actor
        # Teams tells the e-mail only on request; it links the org chart.
        self.seen.email_asked(actor.workspace_id, actor.user_id)
        return replace(actor, email=await self._email(context))

    def _asks_email(self, actor: Actor, contact: Contact) -> bool:
        """On first contact, and now and then for someone stored without an e-mail (Teams
        could not tell it then), so that they are linked to their org-chart entry."""
        if contact is Contact.NO_EMAIL:
            return self.seen.email_due(actor.workspace_id, actor.user_id)
        return contact is Contact.FIRST

    async def _store(
        self, activity: Activity, actor: Actor, *, event_id: str | None
    ) -> Contact | None:
        """Save the reference; whether the person is known already, and with an e-mail (else
        it may link them to someone imported from the org chart). None for a repeated
        `event_id`.

        A message (`event_id` set) from a person and conversation this process has already
        written skips the lookup and the rewrite; installs and membership changes always write.
        """
        kind = payloads.conversation_kind(activity)
        conversation_id, reference = _where(activity)
        now = self.services.clock.now()
        async with self.services.db.session() as session:
            if event_id and not await first_delivery(
                session, platform=payloads.PLATFORM, event_id=event_id, now=now
            ):
                return None
            workspace_id, contact = await self._member_of(session, actor)
            unchanged = event_id is not None and self.seen.written_lately(
                workspace_id, conversation_id, reference
            )
            if not unchanged:
                await save_conversation(
                    session,
                    workspace_id=workspace_id,
                    conversation_id=conversation_id,
                    kind=kind,
                    user_id=actor.user_id if kind == PERSONAL else "",
                    reference=reference,
                    now=now,
                )
        # Noted only once the transaction has committed (a shared one may still roll back).
        if not unchanged:
            self.services.db.after_commit(
                lambda: self.seen.reference_written(workspace_id, conversation_id, reference)
            )
        if contact is Contact.KNOWN:
            self.services.db.after_commit(
                lambda: self.seen.person_exists(
                    actor.workspace_id, actor.user_id, workspace_id=workspace_id
                )
            )
        return contact

    async def _member_of(self, session: AsyncSession, actor: Actor) -> tuple[int, Contact]:
        """The tenant's workspace id (made on first sight) and what we know of the person.

        Only people stored with an e-mail are remembered by this process: someone without
        one is looked up each time, to be asked for it again (`_asks_email`).
        """
        workspace_id = self.seen.workspace_of(actor.workspace_id, actor.user_id)
        if workspace_id is not None:
            return workspace_id, Contact.KNOWN
        member = await find_member(
            session,
            platform=payloads.PLATFORM,
            workspace_external_id=actor.workspace_id,
            external_id=actor.user_id,
        )
        if member is None:
            return (await self._workspace(session, actor.workspace_id)).id, Contact.FIRST
        if member.person is None:
            return member.workspace.id, Contact.FIRST
        return member.workspace.id, Contact.KNOWN if member.person.email else Contact.NO_EMAIL

    async def _workspace(self, session: AsyncSession, tenant_id: str) -> Workspace:
        services = self.services
        return await get_or_create_workspace(
            session,
            platform=payloads.PLATFORM,
            external_id=tenant_id,
            timezone=services.default_timezone,
            locale=services.default_locale,
        )

    async def _email(self, context: TurnContext) -> str | None:
        sender = context.activity.from_property
        account = await self._member(context, str(sender.id)) if sender and sender.id else None
        extra = (account.model_extra or {}) if account is not None else {}
        found = extra.get("email") or extra.get("userPrincipalName")
        return str(found) if found else None

    async def _member(self, context: TurnContext, member_id: str) -> ChannelAccount | None:
        connector = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
        conversation = context.activity.conversation
        if connector is None or conversation is None:
            return None
        try:
            return await connector.conversations.get_conversation_member(conversation.id, member_id)
        except (ClientError, TimeoutError, ValueError):
            return None

    async def _on_installation(self, context: TurnContext) -> None:
        activity = context.activity
        if str(activity.action or "").startswith("remove"):
            await self._forget(activity)
            return
        actor = await self._remember(context)
        if payloads.conversation_kind(activity) == PERSONAL:
            await self._welcome_once(actor)

    async def _forget(self, activity: Activity) -> None:
        conversation_id, _ = _where(activity)
        async with self.services.db.session() as session:
            workspace = await self._workspace(session, payloads.tenant_id(activity))
            await forget_conversation(
                session, workspace_id=workspace.id, conversation_id=conversation_id
            )
        self.seen.forget_conversation(workspace.id, conversation_id)

    async def _welcome_once(self, actor: Actor) -> bool:
        """The welcome card in the personal chat, once per person, sent proactively."""
        reply = await programme.welcome_once(self.services, actor)
        if reply is None:
            return False
        try:
            await self.outbound.send_to_user(
                workspace_id=actor.workspace_id, user_id=actor.user_id, reply=reply
            )
        except DeliveryError as failure:
            log.warning("welcome not delivered: %s", failure.reason)
            return False
        return True

    # ------------------------------------------------------------ typed commands

    async def _on_text(self, context: TurnContext, actor: Actor) -> None:
        text = await payloads.command_text(
            context.activity, lookup=lambda member: self._member(context, member)
        )
        if await self._welcome_once(actor) and not _names_a_command(text):
            return
        try:
            reply = await commands.run_command(self.services, actor, text, messenger=self.outbound)
        except InvalidInput as error:
            reply = await error_reply(self.services, actor, error)
        await self._answer(context, actor, reply)

    # ------------------------------------------------------------ card buttons

    async def _on_database_press(self, context: TurnContext, pressed: Press) -> bool:
        """A press whose use case only touches the database (a share, "I've posted it",
        feedback): Teams' once-only mark, the conversation reference and the effect commit in
        one transaction, not two, and never a mark without its effect (a refusal or a crash
        rolls all back, and Teams' retry runs it again). False for someone unknown so far:
        they take the usual way, where their e-mail is asked of Teams outside a transaction.
        """
        activity = context.activity
        actor = payloads.actor(activity)
        try:
            async with self.services.db.one_transaction():
                contact = await self._store(activity, actor, event_id=activity.id)
                if contact is None:
                    return True  # Teams delivered this activity before: no second effect
                if self._asks_email(actor, contact):
                    raise _FirstContact
                answer = await dispatch(self.services, actor, pressed, messenger=self.outbound)
        except _FirstContact:
            return False
        await self._show(context, actor, answer)
        return True

    async def _on_action(self, context: TurnContext, actor: Actor, pressed: Press) -> None:
        answer = await dispatch(self.services, actor, pressed, messenger=self.outbound)
        await self._show(context, actor, answer)

    async def _show(self, context: TurnContext, actor: Actor, answer: Answer) -> None:
        """Show a press's answer where it belongs: in place of the card, or below it."""
        if answer.reply is None or answer.placement is Placement.NONE:
            return
        if answer.placement is Placement.REPLACE and await self._replace(
            context, actor, answer.reply
        ):
            return
        if answer.placement is Placement.DIRECT:
            await self._directly(context, actor, answer.reply)
            return
        await self._answer(context, actor, answer.reply)

    async def _replace(self, context: TurnContext, actor: Actor, reply: Reply) -> bool:
        """Update the card the button sits on; False when Teams would not."""
        card_id = context.activity.reply_to_id
        if not card_id:
            return False
        rendered = render_card(reply, locale=normalise_locale(actor.locale))
        try:
            await context.update_activity(to_activity(rendered, activity_id=card_id))
        except ClientError as error:
            log.warning("card update refused (%s); answering below it", type(error).__name__)
            return False
        return True

    # ------------------------------------------------------------ answering

    async def _answer(self, context: TurnContext, actor: Actor, reply: Reply) -> None:
        """Reply in the conversation; private replies asked for in a channel go to the
        person's personal chat instead, so nobody else sees them."""
        locale = normalise_locale(actor.locale)
        if reply.private and payloads.conversation_kind(context.activity) != PERSONAL:
            reply = Reply.text(translate(await self._privately(actor, reply), locale))
        reply = await as_links(self.services, actor, reply, keep_inline=fits_card)
        for message in render_messages(reply, locale=locale):
            await self.messenger.answer_in_turn(
                context, to_activity(message), workspace_id=actor.workspace_id
            )

    async def _directly(self, context: TurnContext, actor: Actor, reply: Reply) -> None:
        """To the person's personal chat: here when we are in it, else sent there."""
        await self._answer(context, actor, replace(reply, private=True))

    async def _privately(self, actor: Actor, reply: Reply) -> str:
        try:
            await self.outbound.send_to_user(
                workspace_id=actor.workspace_id, user_id=actor.user_id, reply=reply
            )
        except DeliveryError:
            return "teams.private.no_chat"
        return "teams.private.sent"


# ---------------------------------------------------------------- helpers


def _where(activity: Activity) -> tuple[str, dict[str, object]]:
    """The conversation id to store (a channel, not one thread of it) and its reference."""
    reference = payloads.stored_reference(activity)
    conversation = dict(reference.get("conversation") or {})
    conversation_id = str(conversation.get("id") or "").split(_THREAD)[0]
    conversation["id"] = conversation_id
    reference["conversation"] = conversation
    return conversation_id, reference


def _names_a_command(text: str) -> bool:
    try:
        commands.find(text)
    except InvalidInput:
        return False
    return bool(text.strip())
