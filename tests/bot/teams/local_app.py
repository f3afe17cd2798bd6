"""The server's app with the Teams adapter in anonymous local mode, as the Playground runs it."""

from __future__ import annotations

import pytest
from aiohttp import web

from bot.server import create_app
from bot.teams import setup
from bot.teams.app import TeamsAdapter
from bot.teams.settings import TeamsSettings
from handlers.context import Services

TEAMS_CREDENTIALS = ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID")


def local_teams_app(
    services: Services, *, service_url: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[web.Application, TeamsAdapter]:
    """No Teams credentials, so no token is checked; answers go to `service_url` only."""
    for name in TEAMS_CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    app = create_app(services)
    adapter = setup.register(
        app,
        settings=TeamsSettings(_env_file=None),
        services=services,
        local_service_url=service_url,
    )
    return app, adapter
