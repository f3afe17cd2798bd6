"""The one aiohttp server: health, metrics and tracked redirects (platforms add their routes)."""

from __future__ import annotations

import asyncio
import logging
from html import escape
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot import connect_pages
from bot.metrics import Handler, Metrics
from handlers.context import Services
from handlers.downloads import fetch, media_type
from handlers.tracked_redirect import follow_link

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
METRICS = web.AppKey("metrics", Metrics)
HEALTH_TIMEOUT_SECONDS = 3.0

_NOT_FOUND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Link not found</title></head>
<body><h1>This link does not exist</h1>
<p>The link you followed is unknown or has been removed.</p></body></html>"""
_GONE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Link expired</title></head>
<body><h1>This download link has expired</h1>
<p>Links to files last an hour. Ask the bot again for a new one.</p></body></html>"""


@web.middleware
async def database_outage(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A database outage gets a clear 503 instead of a stack trace, and the server lives on."""
    try:
        return await handler(request)
    except (OperationalError, InterfaceError, DBAPIError, ConnectionError, OSError) as error:
        log.warning(
            "%s %s: database unavailable: %s", request.method, request.path, type(error).__name__
        )
        return web.Response(
            status=503,
            text="Social Boost is temporarily unavailable. Please try again in a minute.",
            headers={"Retry-After": "30"},
        )


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 naming the failing part otherwise."""
    services = request.app[SERVICES]
    try:
        await asyncio.wait_for(services.db.ping(), HEALTH_TIMEOUT_SECONDS)
    except Exception as error:  # any failure of the database means "not healthy"
        log.warning("health check: database unavailable: %s", type(error).__name__)
        body = {"status": "unavailable", "database": f"error: {type(error).__name__}"}
        return web.json_response(body, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format; programme totals are skipped when the database is down."""
    registry = request.app[METRICS]
    try:
        await asyncio.wait_for(
            registry.refresh_totals(request.app[SERVICES].db), HEALTH_TIMEOUT_SECONDS
        )
    except Exception as error:  # metrics must still be served while the database is down
        log.warning("metrics: totals unavailable: %s", type(error).__name__)
    return web.Response(body=registry.render(), content_type="text/plain", charset="utf-8")


async def tracked_redirect(request: web.Request) -> web.Response:
    """302 to the item's page with campaign tags, or a 404 page for unknown codes."""
    target = await follow_link(
        request.app[SERVICES],
        code=request.match_info["code"],
        user_agent=request.headers.get("User-Agent"),
        referrer=request.headers.get("Referer"),
    )
    if target is None:
        return web.Response(status=404, text=_NOT_FOUND_PAGE, content_type="text/html")
    return web.Response(
        status=302,
        headers={"Location": target, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        text=f'<a href="{escape(target)}">Continue</a>',
        content_type="text/html",
    )


async def download(request: web.Request) -> web.Response:
    """A file offered as a link: served while the link is fresh, then 404."""
    found = await fetch(request.app[SERVICES], request.match_info["token"])
    if found is None:
        return web.Response(status=404, text=_GONE_PAGE, content_type="text/html")
    kind = media_type(found.filename)
    disposition = "inline" if kind.startswith("image/") else "attachment"
    return web.Response(
        body=found.content,
        content_type=kind,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.filename)}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            # Nothing in a file we serve may run as a page of this site.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def create_app(services: Services) -> web.Application:
    """The application with the platform-neutral routes."""
    registry = Metrics()
    app = web.Application(
        middlewares=[registry.middleware, database_outage], client_max_size=1024**2
    )
    app[SERVICES] = services
    app[METRICS] = registry
    app.on_startup.append(registry.loop_lag.start)
    app.on_cleanup.append(registry.loop_lag.stop)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/r/{code}", tracked_redirect)
    app.router.add_get("/files/{token}", download)
    connect_pages.attach(app, SERVICES)
    return app
