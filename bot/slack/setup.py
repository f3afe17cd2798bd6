"""Plugging Slack into the server: HTTP route or Socket Mode, from its settings."""

from __future__ import annotations

import logging

from aiohttp import ClientError, web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.app import SlackAdapter, render_pair
from bot.slack.messenger import SlackMessenger, build_web_client
from bot.slack.settings import SlackSettings
from handlers.context import Services

log = logging.getLogger(__name__)
SLACK_ADAPTER = web.AppKey("slack_adapter", SlackAdapter)


def register(
    web_app: web.Application, *, settings: SlackSettings, services: Services
) -> SlackAdapter:
    """Serve Slack on `web_app`: POST /slack/events, and Socket Mode with an app token."""
    if settings.bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is not set")
    token = settings.bot_token.get_secret_value()
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
    if not secret and settings.app_token is None:
        raise ValueError("SLACK_SIGNING_SECRET is required for HTTP mode (or set SLACK_APP_TOKEN)")
    client = build_web_client(token=token, base_url=settings.api_url)
    adapter = SlackAdapter(services=services, client=client, signing_secret=secret or "socket-mode")
    web_app[SLACK_ADAPTER] = adapter
    web_app.on_startup.append(lambda _: adapter.open_http())
    web_app.on_cleanup.append(lambda _: adapter.close_http())
    web_app.router.add_post("/slack/events", adapter.handle)
    if settings.app_token is not None:
        _socket_mode(web_app, adapter, settings.app_token.get_secret_value())
    log.info("Slack is on (%s)", "Socket Mode" if settings.app_token else "HTTP mode")
    return adapter


def build_messenger(settings: SlackSettings) -> SlackMessenger:
    """A Slack messenger for jobs run outside the server (the CLI)."""
    if settings.bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is not set")
    token = settings.bot_token.get_secret_value()
    client = build_web_client(token=token, base_url=settings.api_url)
    return SlackMessenger(client=client, render=render_pair)


async def token_team(settings: SlackSettings) -> str | None:
    """The team id of the bot token (auth.test), None when Slack cannot be asked."""
    if settings.bot_token is None:
        return None
    client = build_web_client(
        token=settings.bot_token.get_secret_value(), base_url=settings.api_url
    )
    try:
        response = await client.auth_test()
    except (SlackApiError, SlackClientError, ClientError, TimeoutError) as error:
        log.warning("Slack's auth.test failed (%s): the workspace is not known yet", error)
        return None
    team = response.get("team_id")
    return str(team) if team else None


def _socket_mode(web_app: web.Application, adapter: SlackAdapter, app_token: str) -> None:
    handler = AsyncSocketModeHandler(adapter.bolt, app_token, web_client=adapter.client)

    async def start(_: web.Application) -> None:
        await handler.connect_async()  # type: ignore[no-untyped-call]

    async def stop(_: web.Application) -> None:
        await handler.close_async()  # type: ignore[no-untyped-call]

    web_app.on_startup.append(start)
    web_app.on_cleanup.append(stop)
