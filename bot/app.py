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
from handlers.context import Services
from handlers.types import Capabilities
from links.fetcher import FetchPolicy


def build_services(
    settings: Settings, db: Database, *, platforms: Mapping[str, Capabilities] | None = None
) -> Services:
    """The services every handler uses, configured from settings and the platforms served."""
    api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
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
        secret_key=load_secret_key(settings.secret_key),
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
