"""Slack side of the Messenger port: direct messages, channel posts and edits via the Web API."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from handlers.types import Attachment, DeliveryError, Reply

log = logging.getLogger(__name__)

Render = Callable[[Reply], tuple[str, list[dict[str, Any]]]]

# Errors no retry can fix: the person, channel or installation is gone or not allowed,
# or the message itself is malformed (retrying it would only repeat the refusal).
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "channel_not_found",
        "account_inactive",
        "is_archived",
        "not_in_channel",
        "cannot_dm_bot",
        "invalid_auth",
        "token_revoked",
        "missing_scope",
        "user_disabled",
        "invalid_blocks",
        "no_text",
        "msg_too_long",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)

# Failures after which Slack may well have posted: the call is looked up, never blindly repeated.
AMBIGUOUS_ERRORS = frozenset(
    {"internal_error", "fatal_error", "request_timeout", "service_unavailable"}
)
# Calls that post something people see; the client must not repeat them on its own.
POSTING_METHODS = frozenset({"chat.postMessage", "files.completeUploadExternal"})

METADATA_EVENT = "socialboost_delivery"
# How far back a crash-recovering sender looks in a DM for the message it may have sent.
_LOOKBACK_MESSAGES = 50

# Bounds the DM-channel cache; a bot-user DM channel never changes, so entries never go stale.
_DM_CACHE_LIMIT = 10_000


class DeliveryFailed(DeliveryError):
    """A Slack call failed after the client's retries; `permanent` when retrying cannot help.

    `error` is Slack's error code (e.g. `channel_not_found`); `retry_after` carries Slack's
    Retry-After seconds when the failure was a rate limit that outlasted the retries.
    """

    def __init__(
        self,
        error: str,
        permanent: bool,
        *,
        retry_after: float | None = None,
        in_doubt: bool = False,
    ) -> None:
        super().__init__(error, permanent=permanent, retry_after=retry_after, in_doubt=in_doubt)
        self.error = error


@dataclass(frozen=True)
class SlackProfile:
    """What Slack knows about a person that sets their language, time zone and greeting."""

    locale: str | None
    tz: str | None
    name: str
    email: str | None


def build_web_client(
    *, token: str, base_url: str | None = None, max_retries: int = 5
) -> AsyncWebClient:
    """An AsyncWebClient that waits out 429s and retries server and connection errors."""
    url = base_url or AsyncWebClient.BASE_URL
    # urljoin drops the last path segment of a base URL without a trailing slash.
    url = url if url.endswith("/") else f"{url}/"
    return AsyncWebClient(token=token, base_url=url, retry_handlers=_retry_handlers(max_retries))


def _retry_handlers(max_retries: int) -> list[AsyncRetryHandler]:
    # A 429 is a refusal, safe to repeat; a server error or a dropped connection may come after
    # Slack posted, so posts are not repeated by the client (the messenger looks them up).
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
        _NotForPosts(AsyncServerErrorRetryHandler(max_retry_count=max_retries)),
        _NotForPosts(AsyncConnectionErrorRetryHandler(max_retry_count=max_retries)),
    ]


class _NotForPosts(AsyncRetryHandler):
    """A retry handler that leaves posting methods alone."""

    def __init__(self, inner: AsyncRetryHandler) -> None:
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self._inner = inner

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").rsplit("/", 1)[-1] in POSTING_METHODS:
            return False
        return await self._inner._can_retry_async(
            state=state, request=request, response=response, error=error
        )


def message_id(*, channel: str, ts: str) -> str:
    """The id `send_*` return: `channel:ts`, since a Slack ts is unique only per channel."""
    return f"{channel}:{ts}"


def split_message_id(message_id: str, *, conversation_id: str) -> tuple[str, str]:
    """(channel, ts) from a `channel:ts` id, or from a bare ts plus its conversation id."""
    channel, separator, ts = message_id.partition(":")
    if separator:
        # The id records where the message really went; a DM's conversation id may be a user.
        return channel, ts
    if not conversation_id:
        raise ValueError(f"message id {message_id!r} names no channel")
    return conversation_id, message_id


class SlackMessenger:
    """Delivers neutral Replies to Slack people and channels (single-workspace install)."""

    def __init__(self, *, client: AsyncWebClient, render: Render) -> None:
        self._client = client
        self._render = render
        # A post is tried as often as the client tries other calls, looking up the earlier try
        # in between; then it is left to the caller (the outbox looks up again before retrying).
        retries = [handler.max_retry_count for handler in client.retry_handlers or []]
        self._post_attempts = 1 + max(retries, default=0)
        self._dm_channels: dict[str, str] = {}

    @property
    def web_client(self) -> AsyncWebClient:
        """The Web API client the messenger calls through (its owner may pool its connections)."""
        return self._client

    async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
        """Send a direct message; returns `channel:ts` (the DM channel Slack posted in).

        A bot token may name the person as the channel: Slack posts in the app's DM with them
        and answers with that DM's id, so the weekly fan-out costs one call per person, not two.
        A reply with files opens the DM first, so a refusal comes before anything is posted.
        """
        channel = self._dm_channels.get(user_id)
        if channel is None and reply.files:
            channel = await self._dm_channel(workspace_id=workspace_id, user_id=user_id)
        message = await self._post(
            workspace_id=workspace_id, channel=channel or user_id, reply=reply, user_id=user_id
        )
        self._remember(user_id, message.partition(":")[0])
        return message

    async def send_to_channel(self, *, workspace_id: str, channel_id: str, reply: Reply) -> str:
        """Post to a channel the bot is in; returns `channel:ts`."""
        return await self._post(workspace_id=workspace_id, channel=channel_id, reply=reply)

    async def update(
        self, *, workspace_id: str, conversation_id: str, message_id: str, reply: Reply
    ) -> None:
        """Replace the text and blocks of a message the bot sent earlier."""
        channel, ts = split_message_id(message_id, conversation_id=conversation_id)
        text, blocks = self._render(reply)
        # Blocks are always sent, even empty, so the edit replaces the old ones.
        call = self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        await _call(call, method="chat.update", workspace_id=workspace_id)

    async def _dm_channel(self, *, workspace_id: str, user_id: str) -> str:
        cached = self._dm_channels.get(user_id)
        if cached is not None:
            return cached
        call = self._client.conversations_open(users=user_id)
        response = await _call(call, method="conversations.open", workspace_id=workspace_id)
        channel = str(response["channel"]["id"])
        self._remember(user_id, channel)
        return channel

    def _remember(self, user_id: str, channel: str) -> None:
        if not channel.startswith("D") or self._dm_channels.get(user_id) == channel:
            return
        if len(self._dm_channels) >= _DM_CACHE_LIMIT:
            self._dm_channels.clear()
        self._dm_channels[user_id] = channel

    async def find_sent(self, *, workspace_id: str, user_id: str, tag: str) -> str | None:
        """The `channel:ts` of a recent DM to the person carrying `tag`, if Slack has one."""
        channel = await self._dm_channel(workspace_id=workspace_id, user_id=user_id)
        return await self._find(workspace_id=workspace_id, channel=channel, tag=tag)

    async def _find_in(
        self, *, workspace_id: str, channel: str, user_id: str | None, tag: str
    ) -> str | None:
        """`_find` in `channel`, or in the DM with `user_id` when the post named the person."""
        if user_id is not None and channel == user_id:
            try:
                channel = await self._dm_channel(workspace_id=workspace_id, user_id=user_id)
            except DeliveryFailed as failure:
                raise DeliveryFailed(failure.error, False, in_doubt=True) from failure
        return await self._find(workspace_id=workspace_id, channel=channel, tag=tag)

    async def _find(self, *, workspace_id: str, channel: str, tag: str) -> str | None:
        """The `channel:ts` of a recent message in `channel` carrying `tag`, if Slack has one.

        A lookup that fails leaves the post in doubt: it is not repeated blindly.
        """
        call = self._client.conversations_history(
            channel=channel, limit=_LOOKBACK_MESSAGES, include_all_metadata=True
        )
        try:
            response = await _call(call, method="conversations.history", workspace_id=workspace_id)
        except DeliveryFailed as failure:
            raise DeliveryFailed(failure.error, False, in_doubt=True) from failure
        for message in response.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("tag") == tag:
                return message_id(channel=channel, ts=str(message["ts"]))
        return None

    async def _post(
        self, *, workspace_id: str, channel: str, reply: Reply, user_id: str | None = None
    ) -> str:
        """Post once, looking an in-doubt try up before trying again.

        `user_id`: the channel may be the person's id, whose DM is opened only to look there.
        """
        text, blocks = self._render(reply)
        # Every post carries a tag in its metadata, so a post whose answer got lost can be found.
        tag = reply.tag or f"post:{uuid.uuid4().hex}"
        for attempt in range(1, self._post_attempts + 1):
            call = self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks or None, metadata=_metadata(tag)
            )
            try:
                response = await _call(call, method="chat.postMessage", workspace_id=workspace_id)
            except DeliveryFailed as failure:
                if not failure.in_doubt:
                    raise
                found = await self._find_in(
                    workspace_id=workspace_id, channel=channel, user_id=user_id, tag=tag
                )
                if found is not None:
                    return found  # it did go out; files are not re-sent (they may have too)
                if attempt == self._post_attempts:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            posted_in = str(response["channel"])
            if reply.files:
                await self._upload(workspace_id=workspace_id, channel=posted_in, files=reply.files)
            return message_id(channel=posted_in, ts=str(response["ts"]))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _upload(
        self, *, workspace_id: str, channel: str, files: tuple[Attachment, ...]
    ) -> None:
        uploads = [{"content": f.content, "filename": f.filename, "title": f.title} for f in files]
        call = self._client.files_upload_v2(file_uploads=uploads, channel=channel)
        await _call(call, method="files.upload_v2", workspace_id=workspace_id)


def _metadata(tag: str) -> dict[str, Any] | None:
    # Message metadata is invisible to people and comes back in conversations.history.
    if not tag:
        return None
    return {"event_type": METADATA_EVENT, "event_payload": {"tag": tag}}


async def user_profile(client: AsyncWebClient, user_id: str) -> SlackProfile:
    """A person's Slack locale, time zone, display name and email (None when not shared)."""
    call = client.users_info(user=user_id, include_locale=True)
    response = await _call(call, method="users.info", workspace_id=None)
    return _profile(response["user"])


def _profile(user: dict[str, Any]) -> SlackProfile:
    profile = user.get("profile") or {}
    names = (profile.get("display_name"), profile.get("real_name"), user.get("real_name"))
    return SlackProfile(
        locale=user.get("locale") or None,
        tz=user.get("tz") or None,
        name=next((n for n in names if n), str(user.get("name") or user.get("id") or "")),
        email=profile.get("email") or None,
    )


async def _call(
    call: Awaitable[AsyncSlackResponse], *, method: str, workspace_id: str | None
) -> AsyncSlackResponse:
    """Await a Web API call; whatever the client's retries could not fix becomes DeliveryFailed."""
    try:
        return await call
    except SlackApiError as error:
        raise _logged(_api_failure(error), method=method, workspace_id=workspace_id) from error
    except (SlackClientError, ClientError, TimeoutError) as error:
        # The request may have reached Slack before the connection went.
        failure = DeliveryFailed(f"connection_error:{type(error).__name__}", False, in_doubt=True)
        raise _logged(failure, method=method, workspace_id=workspace_id) from error


def _logged(failure: DeliveryFailed, *, method: str, workspace_id: str | None) -> DeliveryFailed:
    # Only Slack's error code and our ids are logged: never the request, which holds the token.
    log.warning(
        "Slack %s failed in team %s: %s (%s)",
        method,
        workspace_id or "-",
        failure.error,
        "permanent" if failure.permanent else "transient",
    )
    return failure


def _api_failure(error: SlackApiError) -> DeliveryFailed:
    response = error.response
    status = int(response.status_code)
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or f"http_{status}")
    retry_after = _retry_after(response.headers) if status == 429 else None
    in_doubt = code in AMBIGUOUS_ERRORS or (status >= 500 and status != 429)
    return DeliveryFailed(
        code, code in PERMANENT_ERRORS, retry_after=retry_after, in_doubt=in_doubt
    )


def _retry_after(headers: Any) -> float | None:
    try:
        return float(headers.get("Retry-After"))
    except (TypeError, ValueError):
        return None
