"""Teams side of the Messenger port: every message goes out through a stored conversation
reference (a proactive turn), retrying throttling and server errors the way Teams asks."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from aiohttp import ClientConnectionError, ClientResponseError
from microsoft_agents.activity import Activity, Attachment
from microsoft_agents.hosting.core import ChannelServiceAdapter, TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from bot.teams.cloud import ANONYMOUS_AUDIENCE, continuation
from bot.teams.render import (
    CARD_CONTENT_TYPE,
    RenderedMessage,
    data_url,
    media_type_of,
    message_count,
    render_card,
    render_messages,
)
from content_store.database import Database
from content_store.models import TeamsConversation
from content_store.teams_conversations import (
    find_conversation,
    find_personal_chat,
    get_conversation,
    recipient_locale,
)
from handlers.types import DeliveryError, Reply

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

# Teams' documented advice: retry 412, 429 and server errors; any other 4xx will not change.
_RETRYABLE = frozenset({408, 412, 429})
_MESSAGE_ID = re.compile(r"^(\d+)#(.+)$")


class TeamsDeliveryFailed(DeliveryError):
    """A Teams call failed after the retries; `retry_after` is Teams' wait when throttled."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason, permanent=permanent)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying one send: retries, the longest Retry-After waited, backoff."""

    max_retries: int = 3
    max_wait_seconds: float = 60.0
    backoff_seconds: float = 1.0
    timeout_seconds: float = 30.0


# Teams waits on the HTTP request of a turn (about 15 s): answers within it retry briefly.
IN_TURN_POLICY = RetryPolicy(
    max_retries=2, max_wait_seconds=3.0, backoff_seconds=0.5, timeout_seconds=5.0
)


def message_id(row_id: int, activity_id: str) -> str:
    """The id `send_*` return: our conversation row and Teams' activity id (short and stable)."""
    return f"{row_id}#{activity_id}"


def split_message_id(value: str) -> tuple[int | None, str]:
    """(conversation row id, activity id) of a `row#activity` id, or (None, a bare activity id)."""
    match = _MESSAGE_ID.match(value)
    return (int(match.group(1)), match.group(2)) if match else (None, value)


def to_activity(message: RenderedMessage, *, activity_id: str | None = None) -> Activity:
    """The message activity: its card, then any files as data-URL attachments."""
    attachments = [Attachment(content_type=CARD_CONTENT_TYPE, content=message.card)]
    attachments += [
        Attachment(content_type=media_type_of(f), content_url=data_url(f), name=f.filename)
        for f in message.files
    ]
    activity = Activity(type="message", summary=message.summary, attachments=attachments)
    if activity_id is not None:
        activity.id = activity_id
    return activity


class TeamsMessenger:
    """Delivers neutral Replies to Teams people and channels through stored references."""

    def __init__(
        self,
        *,
        adapter: ChannelServiceAdapter,
        db: Database,
        app_id: str | None,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._adapter = adapter
        self._db = db
        self._app_id = app_id
        self._policy = policy or RetryPolicy()
        self._sleep = sleep

    async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
        """Send to the person's personal chat; permanent failure if they never installed us."""
        async with self._db.session() as session:
            row = await find_personal_chat(session, tenant_id=workspace_id, user_id=user_id)
            locale = await recipient_locale(session, tenant_id=workspace_id, user_id=user_id)
        if row is None:
            raise _logged(TeamsDeliveryFailed("no_personal_chat", permanent=True), workspace_id)
        return await self._send(row, render_messages(reply, locale=locale), workspace_id)

    def requests_for(self, reply: Reply | None) -> int:
        """Requests a send to a person makes: one per message (each pick is a card alone)."""
        return message_count(reply) if reply is not None else 1

    async def send_to_channel(self, *, workspace_id: str, channel_id: str, reply: Reply) -> str:
        """Post to a channel or group chat the app was added to."""
        async with self._db.session() as session:
            row = await find_conversation(
                session, tenant_id=workspace_id, conversation_id=channel_id
            )
            locale = await recipient_locale(session, tenant_id=workspace_id, user_id=None)
        if row is None:
            raise _logged(TeamsDeliveryFailed("not_in_conversation", permanent=True), workspace_id)
        return await self._send(row, render_messages(reply, locale=locale), workspace_id)

    async def update(
        self, *, workspace_id: str, conversation_id: str, message_id: str, reply: Reply
    ) -> None:
        """Replace a message the bot sent earlier (the whole reply as one card)."""
        row_id, activity_id = split_message_id(message_id)
        async with self._db.session() as session:
            row = await (
                get_conversation(session, tenant_id=workspace_id, row_id=row_id)
                if row_id is not None
                else find_conversation(
                    session, tenant_id=workspace_id, conversation_id=conversation_id
                )
            )
            user = row.user_id if row is not None and row.user_id else None
            locale = await recipient_locale(session, tenant_id=workspace_id, user_id=user)
        if row is None:
            raise _logged(TeamsDeliveryFailed("not_in_conversation", permanent=True), workspace_id)
        activity = to_activity(render_card(reply, locale=locale), activity_id=activity_id)

        async def replace(context: TurnContext) -> None:
            await self._retrying(lambda: context.update_activity(activity), workspace_id)

        await self._turn(row, replace, workspace_id)

    async def answer_in_turn(
        self, context: TurnContext, activity: Activity, *, workspace_id: str
    ) -> str:
        """Send within the turn Teams is waiting on: retried like any send, but never for long."""
        return await self._post_one(context, activity, workspace_id, policy=IN_TURN_POLICY)

    async def _send(
        self, row: TeamsConversation, messages: list[RenderedMessage], workspace_id: str
    ) -> str:
        sent: list[str] = []

        async def post(context: TurnContext) -> None:
            for message in messages:
                sent.append(await self._post_one(context, to_activity(message), workspace_id))

        await self._turn(row, post, workspace_id)
        return message_id(row.id, sent[0] if sent and sent[0] else "")

    async def _post_one(
        self,
        context: TurnContext,
        activity: Activity,
        workspace_id: str,
        *,
        policy: RetryPolicy | None = None,
    ) -> str:
        async def call() -> Any:
            return await context.send_activity(activity)

        response = await self._retrying(call, workspace_id, policy=policy)
        return str(getattr(response, "id", None) or "")

    async def _turn(
        self,
        row: TeamsConversation,
        work: Callable[[TurnContext], Awaitable[None]],
        workspace_id: str,
    ) -> None:
        """Run `work` in a proactive turn on the stored reference (anonymous when local)."""
        activity = continuation(row.reference)
        try:
            if self._app_id:
                await self._adapter.continue_conversation(self._app_id, activity, work)
            else:
                await self._adapter.process_proactive(
                    ClaimsIdentity(), activity, ANONYMOUS_AUDIENCE, work
                )
        except DeliveryError:
            raise
        except (ClientConnectionError, TimeoutError, ValueError) as error:
            # Raised before anything was sent: getting a token or opening the connection.
            failure = TeamsDeliveryFailed(
                f"connection_error:{type(error).__name__}", permanent=False
            )
            raise _logged(failure, workspace_id) from error

    async def _retrying(
        self,
        call: Callable[[], Awaitable[T]],
        workspace_id: str,
        *,
        policy: RetryPolicy | None = None,
    ) -> T:
        """`call`, retried on throttling, server and connection errors; DeliveryError at last."""
        policy = policy or self._policy
        attempt = 0
        while True:
            try:
                return await asyncio.wait_for(call(), policy.timeout_seconds)
            except ClientResponseError as error:
                failure = http_failure(error)
            except (ClientConnectionError, TimeoutError) as error:
                failure = TeamsDeliveryFailed(
                    f"connection_error:{type(error).__name__}", permanent=False
                )
            wait = _wait(policy, failure, attempt)
            if wait is None:
                raise _logged(failure, workspace_id)
            attempt += 1
            await self._sleep(wait)


def _wait(policy: RetryPolicy, failure: TeamsDeliveryFailed, attempt: int) -> float | None:
    """Seconds before the next try, or None to give up now."""
    if failure.permanent or attempt >= policy.max_retries:
        return None
    if failure.retry_after is not None:
        return failure.retry_after if failure.retry_after <= policy.max_wait_seconds else None
    return float(policy.backoff_seconds * 2**attempt)


def http_failure(error: ClientResponseError) -> TeamsDeliveryFailed:
    """What a refused Teams call means: Teams' error code, permanent or not, Retry-After."""
    status = int(error.status)
    code = _teams_code(error.message) or f"http_{status}"
    permanent = status < 500 and status not in _RETRYABLE
    retry_after = _retry_after(error.headers) if not permanent else None
    return TeamsDeliveryFailed(f"{code} ({status})", permanent=permanent, retry_after=retry_after)


def _teams_code(body: str) -> str | None:
    try:
        data: Any = json.loads(body)
    except (TypeError, ValueError):
        return None
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code)[:80] if code else None


def _retry_after(headers: Any) -> float | None:
    """Retry-After in seconds, given as seconds or as an HTTP date."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _logged(failure: TeamsDeliveryFailed, workspace_id: str) -> TeamsDeliveryFailed:
    # Only Teams' error code and our ids: never the message, which may hold personal text.
    log.warning(
        "Teams delivery failed in tenant %s: %s (%s)",
        workspace_id,
        failure.reason,
        "permanent" if failure.permanent else "transient",
    )
    return failure
