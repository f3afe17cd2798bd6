"""End-to-end fixtures: the bot on a free port, the Playground pointed at it, and a web site.

The bot runs in the test's event loop, as in `tests/bot/teams/test_playground.py`; the
Playground (a node process) and Debian's chromium are skipped locally when missing and
required under CI.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from pathlib import Path

import pytest
from aiohttp import web
from PIL import Image

from bot.server import create_app
from bot.teams import setup
from bot.teams.app import TeamsAdapter
from bot.teams.cloud import playground_service_url
from bot.teams.demo import demo_tenant, prepare_demo
from bot.teams.settings import TeamsSettings
from content_store.content import NewContent, add_content
from content_store.people import (
    get_or_create_person,
    get_or_create_workspace,
    set_chosen_topics,
    set_status,
)
from domain.programme import ProgrammeStatus
from handlers.context import Services
from tests.bot.teams.cards import ROOT
from tests.bot.teams.fake_connector import free_port
from tests.bot.teams.playground import Playground, playground_process

SCREENSHOTS = ROOT / "var" / "screenshots" / "teams"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_TEAMS_SETTINGS = ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID")


@dataclass(frozen=True)
class Site:
    """A company web site on 127.0.0.1: pages with Open Graph tags and a picture each."""

    base_url: str

    def page(self, slug: str) -> str:
        return f"{self.base_url}/news/{slug}"

    def image(self, slug: str) -> str:
        return f"{self.base_url}/img/{slug}.png"


async def _article(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    base = f"http://{request.host}"
    title = escape(f"{slug.replace('-', ' ').capitalize()} at Contoso")
    html = f"""<!doctype html><html><head><title>{title}</title>
<meta property="og:title" content="{title}">
<meta property="og:description" content="What the {escape(slug)} team did this month.">
<meta property="og:image" content="{base}/img/{escape(slug)}.png">
</head><body><h1>{title}</h1><p>The article a colleague shared.</p></body></html>"""
    return web.Response(text=html, content_type="text/html")


async def _picture(request: web.Request) -> web.Response:
    """A small PNG, a different colour per page, so a reviewer sees which image is which."""
    slug = request.match_info["slug"]
    colour = tuple(sum(map(ord, slug)) * factor % 200 + 40 for factor in (3, 5, 7))
    buffer = io.BytesIO()
    Image.new("RGB", (480, 240), colour).save(buffer, format="PNG")
    return web.Response(body=buffer.getvalue(), content_type="image/png")


# The tenant's library: pages of the local site, by slug, with their topics.
ARTICLES = {
    "launch-week": ("product",),
    "on-call": ("engineering",),
    "hiring": ("careers", "engineering"),
    "meetup": ("community",),
}


async def seed_tenant(services: Services, playground: Playground, site: Site) -> None:
    """The library of local pages, and every role for the Playground's user, as the demo of
    `make run` gives them."""
    now = services.clock.now()
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(
            session, platform="teams", external_id=playground.tenant_id
        )
        for slug, topics in ARTICLES.items():
            new = NewContent(
                canonical_url=site.page(slug),
                title=f"{slug.replace('-', ' ').capitalize()} at Contoso",
                description=f"What the {slug} team did this month.",
                image_url=site.image(slug),
                topics=topics,
                publish_from=now - timedelta(days=1),
            )
            await add_content(session, workspace_id=workspace.id, new=new, now=now)
    await prepare_demo(services, demo_tenant({"config": playground.config}), now=now)


async def joined(
    services: Services, playground: Playground, *, networks: list[str], topics: list[str]
) -> None:
    """The Playground's user takes part (welcomed already) with these networks and topics."""
    now = services.clock.now()
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(
            session, platform="teams", external_id=playground.tenant_id
        )
        person = await get_or_create_person(
            session, workspace_id=workspace.id, external_id=playground.user["aadObjectId"]
        )
        await set_status(session, person=person, status=ProgrammeStatus.IN, now=now)
        person.invited_at = now
        person.networks = networks
        await set_chosen_topics(session, person=person, slugs=topics)


@pytest.fixture(scope="module")
async def site() -> AsyncIterator[Site]:
    app = web.Application()
    app.router.add_get("/news/{slug}", _article)
    app.router.add_get("/img/{slug}.png", _picture)
    async with serving(app, free_port()) as base_url:
        yield Site(base_url)


@contextlib.asynccontextmanager
async def serving(app: web.Application, port: int) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1:`port`; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class Turns:
    """Counts the bot's turns (POST /api/messages), so a test can wait until one has ended:
    the Agents SDK answers that request only after the turn has sent all its messages."""

    def __init__(self) -> None:
        self.started = 0
        self.ended = 0
        self._changed = asyncio.Condition()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != "/api/messages":
            return await handler(request)
        await self._count(started=1)
        try:
            return await handler(request)
        finally:
            await self._count(ended=1)

    async def _count(self, *, started: int = 0, ended: int = 0) -> None:
        async with self._changed:
            self.started += started
            self.ended += ended
            self._changed.notify_all()

    async def settled(self, *, after: int, seconds: float = 60.0) -> None:
        """Wait until a turn begun after the `after`-th has ended and no other is running."""

        def done() -> bool:
            return self.ended > after and self.ended == self.started

        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(done)


@contextlib.asynccontextmanager
async def teams_bot(
    services: Services, *, port: int, playground_port: int, turns: Turns | None = None
) -> AsyncIterator[TeamsAdapter]:
    """The web application with Teams in anonymous local mode, listening on `port` and
    answering the Playground on `playground_port` only."""
    with pytest.MonkeyPatch.context() as patch:
        for name in _TEAMS_SETTINGS:
            patch.delenv(name, raising=False)
        app = create_app(services)
        if turns is not None:
            app.middlewares.append(turns.middleware)
        settings = TeamsSettings(_env_file=None)
        adapter = setup.register(
            app,
            settings=settings,
            services=services,
            local_service_url=playground_service_url(playground_port),
        )
        async with serving(app, port):
            yield adapter


@contextlib.contextmanager
def playground_for(
    bot_port: int, tmp_path_factory: pytest.TempPathFactory, *, port: int
) -> Iterator[str]:
    """The Playground on `port`, talking to the bot on `bot_port`; yields its base URL."""
    bot_url = f"http://127.0.0.1:{bot_port}/api/messages"
    workdir: Path = tmp_path_factory.mktemp("playground")
    with playground_process(port=port, bot_url=bot_url, workdir=workdir) as url:
        yield url
