"""The Slack tests' world: the real server on loopback, wired to a strict fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from handlers.context import Services
from tests.bot.slack.world import SlackWorld, slack_world
from tests.factories import WORKSPACE


@pytest.fixture
async def world(services: Services) -> AsyncIterator[SlackWorld]:
    """The app served over HTTP with the test services; people come from `world.person()`."""
    async with slack_world(services, team_id=WORKSPACE) as started:
        yield started


class Pages:
    """A tiny website on loopback whose pages the app can fetch for `/boost add`."""

    def __init__(self, server: TestServer) -> None:
        self._server = server

    def url(self, path: str = "/page") -> str:
        return str(self._server.make_url(path))


async def _page(request: web.Request) -> web.Response:
    name = request.path.strip("/") or "home"
    html = (
        "<!doctype html><html><head>"
        f"<title>Page {name}</title>"
        f'<meta name="description" content="All about {name}.">'
        "</head><body>Hello</body></html>"
    )
    return web.Response(text=html, content_type="text/html")


@pytest.fixture
async def pages() -> AsyncIterator[Pages]:
    """Pages at http://127.0.0.1:PORT/<anything>, titled after their path."""
    app = web.Application()
    app.router.add_get("/{tail:.*}", _page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Pages(server)
    finally:
        await server.close()
