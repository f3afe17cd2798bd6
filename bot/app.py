"""Wiring: settings in; services, and the web application with its platforms, out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta

from aiohttp import web
from sqlalchemy.engine import make_url

from bot import platforms, runtime
from bot.platforms import PLATFORMS, PlatformEntry, ServeOptions
from bot.secret_key import load_secret_key
from bot.server import create_app
from bot.settings import Settings
from captions import build_caption_writer
from content_store.database import Database
from content_store.token_box import TokenBox, derive_key
from handlers.context import Services
from handlers.types import Capabilities
from links.fetcher import FetchPolicy
from publishing.bluesky import BlueskyConfig
from publishing.config import AccountsConfig
from publishing.linkedin import LinkedInConfig


def build_services(
    settings: Settings, db: Database, *, platforms: Mapping[str, Capabilities] | None = None
) -> Services:
    """The services every handler uses, configured from settings and the platforms served."""
    api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    secret_key = load_secret_key(settings.secret_key)
    return Services(
        db=db,
        captions=build_caption_writer(
            api_key=api_key,
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            timeout_seconds=settings.caption_timeout_seconds,
        ),
        public_base_url=settings.public_url,
        fetch_policy=FetchPolicy(
            allow_loopback=settings.fetch_allow_loopback,
            timeout_seconds=settings.fetch_timeout_seconds,
        ),
        picks_per_week=settings.picks_per_week,
        default_timezone=settings.default_timezone,
        default_locale=settings.default_locale,
        slot_grace=timedelta(hours=settings.schedule_grace_hours),
        insight_thresholds=settings.insight_thresholds,
        reminder_after=timedelta(days=settings.reminder_after_days),
        platforms=dict(platforms or {}),
        secret_key=secret_key,
        accounts=accounts_config(settings, secret_key=secret_key),
    )


def accounts_config(settings: Settings, *, secret_key: bytes) -> AccountsConfig:
    """The networks people may connect, from settings; nothing unless configured."""
    linkedin = None
    if settings.linkedin_enabled and settings.linkedin_client_secret is not None:
        linkedin = LinkedInConfig(
            client_id=settings.linkedin_client_id,
            client_secret=settings.linkedin_client_secret.get_secret_value(),
            auth_url=settings.linkedin_auth_url,
            api_url=settings.linkedin_api_url,
            version=settings.linkedin_version,
        )
    bluesky = (
        BlueskyConfig(service_url=settings.bluesky_api_url) if settings.bluesky_connect else None
    )
    if linkedin is None and bluesky is None:
        return AccountsConfig()
    listed = (
        settings.token_encryption_key.get_secret_value() if settings.token_encryption_key else ""
    )
    return AccountsConfig(
        linkedin=linkedin,
        bluesky=bluesky,
        box=TokenBox.from_settings(listed=listed, secret_key=secret_key),
        # A key of its own for PKCE verifiers, derived so it never equals the token keys.
        pkce_key=derive_key(secret_key + b"\x00pkce"),
    )


def safe_database_url(url: str) -> str:
    """The database URL with any password hidden, for logs."""
    return make_url(url).render_as_string(hide_password=True)


def assemble(
    settings: Settings,
    db: Database,
    *,
    options: ServeOptions,
    entries: Iterable[PlatformEntry] = PLATFORMS,
) -> web.Application:
    """The whole server: neutral routes, every enabled platform, and the background work."""
    chosen = platforms.enabled_platforms(entries)
    services = build_services(settings, db, platforms=platforms.capabilities_of(chosen))
    application = create_app(services)
    messengers = platforms.attach_all(application, chosen, services=services, options=options)
    runtime.attach(
        application,
        settings=settings,
        services=services,
        messengers=messengers,
        rates=platforms.rates_of(chosen),
    )
    return application
