"""Plugging Teams into the server: POST /api/messages, with credentials or in local mode."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web

from bot.teams.app import TeamsAdapter
from bot.teams.cloud import (
    TeamsCloudAdapter,
    TeamsCredentials,
    auth_configuration,
    build_cloud_adapter,
    playground_service_url,
)
from bot.teams.demo import DEFAULT_PORT
from bot.teams.messenger import TeamsMessenger
from bot.teams.settings import TeamsSettings
from handlers.context import Services

log = logging.getLogger(__name__)
TEAMS_ADAPTER = web.AppKey("teams_adapter", TeamsAdapter)
ANONYMOUS_BANNER = (
    "Teams runs in ANONYMOUS LOCAL MODE: TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID "
    "are not set, so POST /api/messages checks no token and accepts requests from this "
    "machine only, none forwarded by a proxy, and only for the Microsoft 365 Agents "
    "Playground's service URL (path %s on this machine's port %s). Set all three for real "
    "Teams."
)


def credentials_from(settings: TeamsSettings) -> TeamsCredentials | None:
    """The bot registration from settings; None when none of it is set, an error when half is."""
    password = settings.app_password.get_secret_value() if settings.app_password else ""
    values = {
        "TEAMS_APP_ID": settings.app_id.strip(),
        "TEAMS_APP_PASSWORD": password,
        "TEAMS_TENANT_ID": settings.tenant_id.strip(),
    }
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(values):
        return None
    if missing:
        raise ValueError(f"Teams needs all three settings; missing: {', '.join(missing)}")
    return TeamsCredentials(
        app_id=values["TEAMS_APP_ID"],
        password=password,
        tenant_id=values["TEAMS_TENANT_ID"],
    )


def register(
    web_app: web.Application,
    *,
    settings: TeamsSettings,
    services: Services,
    local_service_url: str | None = None,
) -> TeamsAdapter:
    """Serve Teams on `web_app` at POST /api/messages; the adapter is kept in TEAMS_ADAPTER.

    Without credentials only activities naming `local_service_url` are served: by default
    that of the Playground on its default port (`serve --playground-port` passes another).
    """
    credentials = credentials_from(settings)
    adapter = TeamsAdapter(
        services=services,
        credentials=credentials,
        local_service_url=local_service_url or playground_service_url(DEFAULT_PORT),
    )
    web_app[TEAMS_ADAPTER] = adapter
    web_app.router.add_post("/api/messages", adapter.handle)
    web_app.on_cleanup.append(lambda _: adapter.close())
    if credentials is None:
        log.warning("!" * 72)
        # The address itself is said once, by the demo, in the line that says to open it.
        service = urlsplit(adapter.local_service_url or "")
        log.warning(ANONYMOUS_BANNER, service.path, service.port)
        log.warning("!" * 72)
        # Without an app id the SDK repeats a warning on every turn; the banner says it once.
        logging.getLogger(
            "microsoft_agents.hosting.core.connector.client.user_token_client"
        ).setLevel(logging.ERROR)
    else:
        log.info(
            "Teams is on: app %s, tenant %s, tokens checked on every request",
            credentials.app_id,
            credentials.tenant_id,
        )
    return adapter


def standalone_messenger(
    settings: TeamsSettings, *, services: Services
) -> tuple[TeamsMessenger, TeamsCloudAdapter]:
    """A messenger for work outside the server, and the adapter whose `aclose` ends it."""
    credentials = credentials_from(settings)
    cloud = build_cloud_adapter(auth_configuration(credentials))
    messenger = TeamsMessenger(
        adapter=cloud, db=services.db, app_id=credentials.app_id if credentials else None
    )
    return messenger, cloud
