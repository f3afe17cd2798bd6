"""Microsoft Teams as a row of the platform registry (with the Playground demo of `make run`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.teams import demo, setup
from bot.teams.cloud import playground_service_url
from bot.teams.render import fits_card
from bot.teams.settings import TeamsSettings
from handlers.context import Services
from handlers.downloads import FilesAsLinks
from handlers.types import Capabilities, Messenger
from scheduler.rate_limit import Rate

if TYPE_CHECKING:
    from bot.platforms import ServeOptions

CAPABILITIES = Capabilities(
    label="Teams", command_prefix="", home_surface=False, channel_posts=True
)


class TeamsPlatform:
    """Teams: always on; without credentials in anonymous local mode (the Playground)."""

    name = "teams"
    capabilities = CAPABILITIES

    def __init__(self, settings: TeamsSettings) -> None:
        self.settings = settings

    @classmethod
    def from_environment(cls) -> TeamsPlatform:
        """Teams as the environment configures it."""
        return cls(TeamsSettings())

    @property
    def enabled(self) -> bool:
        """Always: without credentials it serves the local Playground only."""
        return True

    def rate(self) -> Rate:
        """TEAMS_RATE_PER_SECOND and TEAMS_RATE_BURST."""
        return Rate(self.settings.rate_per_second, self.settings.rate_burst)

    async def home_workspace(self) -> str | None:
        """The tenant of the bot registration; none in anonymous local mode."""
        return self.settings.tenant_id.strip() or None

    def attach(
        self, web_app: web.Application, *, services: Services, options: ServeOptions
    ) -> Messenger:
        """POST /api/messages, and the Playground when asked for and no credentials are set."""
        local = playground_service_url(options.playground_port) if options.playground_port else None
        adapter = setup.register(
            web_app, settings=self.settings, services=services, local_service_url=local
        )
        if options.playground and adapter.anonymous:
            playground = demo.PlaygroundDemo(
                services=services,
                bot_url=f"http://127.0.0.1:{options.port}/api/messages",
                port=options.playground_port,
                root=Path.cwd(),
            )
            web_app.on_startup.append(playground.start)
            web_app.on_cleanup.append(playground.stop)
        return adapter.outbound

    @asynccontextmanager
    async def messenger(self, *, services: Services) -> AsyncIterator[Messenger]:
        """A proactive messenger through stored conversation references, closed afterwards."""
        messenger, cloud = setup.standalone_messenger(self.settings, services=services)
        try:
            yield FilesAsLinks(
                messenger, services=services, platform=self.name, keep_inline=fits_card
            )
        finally:
            await cloud.aclose()
