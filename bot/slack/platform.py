"""Slack as a row of the platform registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from aiohttp import ClientSession, web

from bot.slack import setup
from bot.slack.settings import SlackSettings
from handlers.context import Services
from handlers.types import Capabilities, Messenger
from scheduler.rate_limit import Rate

if TYPE_CHECKING:
    from bot.platforms import ServeOptions

CAPABILITIES = Capabilities(
    label="Slack",
    command_prefix="/boost ",
    home_surface=True,
    channel_posts=True,
    sent_lookup=True,
)


class SlackPlatform:
    """Slack: on when SLACK_BOT_TOKEN is set."""

    name = "slack"
    capabilities = CAPABILITIES

    def __init__(self, settings: SlackSettings) -> None:
        self.settings = settings

    @classmethod
    def from_environment(cls) -> SlackPlatform:
        """Slack as the environment configures it."""
        return cls(SlackSettings())

    @property
    def enabled(self) -> bool:
        """On once a bot token is set."""
        return self.settings.bot_token is not None

    def rate(self) -> Rate:
        """SLACK_RATE_PER_SECOND and SLACK_RATE_BURST."""
        return Rate(self.settings.rate_per_second, self.settings.rate_burst)

    async def home_workspace(self) -> str | None:
        """The team the bot token belongs to (Slack's auth.test)."""
        if self.settings.bot_token is None:
            return None
        return await setup.token_team(self.settings)

    def attach(
        self, web_app: web.Application, *, services: Services, options: ServeOptions
    ) -> Messenger:
        """POST /slack/events (and Socket Mode with an app token)."""
        return setup.register(web_app, settings=self.settings, services=services).messenger

    @asynccontextmanager
    async def messenger(self, *, services: Services) -> AsyncIterator[Messenger]:
        """A messenger with its own Web API client and connection pool, closed afterwards.

        Without the pool slack_sdk opens a session, and a TCP connection, for every call.
        """
        messenger = setup.build_messenger(self.settings)
        async with ClientSession() as http:
            messenger.web_client.session = http
            try:
                yield messenger
            finally:
                messenger.web_client.session = None
