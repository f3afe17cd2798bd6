"""The chat platforms this server speaks: one row each; the CLI, the runtime and the outbox
loop over them, so a new platform is a folder under `bot/` plus one row in PLATFORMS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from pydantic_settings import BaseSettings

from bot.slack.platform import SlackPlatform
from bot.slack.settings import SlackSettings
from bot.teams.platform import TeamsPlatform
from bot.teams.settings import TeamsSettings
from handlers.context import Services
from handlers.types import Capabilities, Messenger
from scheduler.rate_limit import Rate


@dataclass(frozen=True)
class ServeOptions:
    """How `socialboost serve` was started, for platforms that add something of their own."""

    port: int
    playground: bool = False
    playground_port: int = 0


class Platform(Protocol):
    """A chat platform: its settings, its routes, its messenger, its send rate, what it offers."""

    @property
    def name(self) -> str:
        """The platform's key in the database and the outbox ("slack")."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What it offers the use cases (a Home surface, channel posts, …)."""
        ...

    @property
    def enabled(self) -> bool:
        """Whether its settings turn it on."""
        ...

    def rate(self) -> Rate:
        """How fast the outbox may send to one of its workspaces or tenants."""
        ...

    async def home_workspace(self) -> str | None:
        """The one workspace (team, tenant) this deployment serves, when settings tell it."""
        ...

    def attach(
        self, web_app: web.Application, *, services: Services, options: ServeOptions
    ) -> Messenger:
        """Serve it on the web app (routes, start and stop hooks); its messenger."""
        ...

    def messenger(self, *, services: Services) -> AbstractAsyncContextManager[Messenger]:
        """A messenger for work done outside the server (the CLI), closed afterwards."""
        ...


@dataclass(frozen=True)
class PlatformEntry:
    """A row of the registry: how to build the platform from the environment, and its
    settings model (documented in `.env.example` and docs like the server's own)."""

    load: Callable[[], Platform]
    settings: type[BaseSettings]


PLATFORMS: tuple[PlatformEntry, ...] = (
    PlatformEntry(SlackPlatform.from_environment, SlackSettings),
    PlatformEntry(TeamsPlatform.from_environment, TeamsSettings),
)


def enabled_platforms(entries: Iterable[PlatformEntry] = PLATFORMS) -> list[Platform]:
    """The platforms whose settings turn them on."""
    return [platform for platform in (entry.load() for entry in entries) if platform.enabled]


def capabilities_of(platforms: Sequence[Platform]) -> dict[str, Capabilities]:
    """What each platform offers, by name (for Services)."""
    return {platform.name: platform.capabilities for platform in platforms}


def rates_of(platforms: Sequence[Platform]) -> dict[str, Rate]:
    """Each platform's send rate, by name (for the outbox's rate limiter)."""
    return {platform.name: platform.rate() for platform in platforms}


def attach_all(
    web_app: web.Application,
    platforms: Sequence[Platform],
    *,
    services: Services,
    options: ServeOptions,
) -> Mapping[str, Messenger]:
    """Serve every platform on the web app; their messengers by name."""
    return {
        platform.name: platform.attach(web_app, services=services, options=options)
        for platform in platforms
    }


# Every platform's settings model, documented in `.env.example` like the server's own.
SETTINGS: tuple[type[BaseSettings], ...] = tuple(entry.settings for entry in PLATFORMS)


async def home_workspaces(platforms: Sequence[Platform]) -> list[tuple[str, str]]:
    """(platform, workspace id) of each platform that knows the one workspace it serves."""
    found = [(platform.name, await platform.home_workspace()) for platform in platforms]
    return [(name, workspace) for name, workspace in found if workspace]
