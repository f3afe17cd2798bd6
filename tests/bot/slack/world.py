"""The app as Slack meets it: the real server on a loopback port, wired to a strict fake Slack.

`SlackWorld` builds the aiohttp application the way `socialboost serve` does (`create_app` and
`bot.slack.setup.register` with `SLACK_API_URL` pointing at the fake), serves it over real
HTTP, signs every request like Slack, and knows when the app has finished with one: after the
answer it waits until every task the request started (Bolt runs listeners after the ack) is
done. People are `SlackUser`s made with `person()`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier

from bot.server import create_app
from bot.settings import Settings
from bot.slack import setup as slack_setup
from handlers.context import Services
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.slack_user import SlackUser

SECRET = "test-signing-secret"
SETTLE_SECONDS = 30.0
# Connection loops of aiohttp servers live as long as a keep-alive connection: not work.
_LONG_LIVED = ("RequestHandler.start",)


class SlackWorld:
    """One workspace: the fake Slack, the app's server and the people in it."""

    def __init__(self, services: Services, fake: FakeSlack, *, secret: str = SECRET) -> None:
        self.services = services
        self.fake = fake
        self.secret = secret
        self.app: web.Application | None = None
        self._server: TestServer | None = None
        self._session: aiohttp.ClientSession | None = None
        self.people: dict[str, SlackUser] = {}

    async def start(self) -> None:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            slack_bot_token=self.fake.bot_token,
            slack_signing_secret=self.secret,
            slack_app_token=None,
            slack_api_url=self.fake.base_url,
            public_base_url=self.services.public_base_url,
        )
        app = create_app(self.services)
        slack_setup.register(app, settings=settings, services=self.services)
        self.app = app
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._server is not None:
            await self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None, "SlackWorld is not started"
        return str(self._server.make_url("/slack/events"))

    def person(
        self,
        user_id: str,
        *,
        name: str | None = None,
        email: str | None = None,
        locale: str = "en-US",
        tz: str = "Europe/Amsterdam",
    ) -> SlackUser:
        """Someone in the workspace (known to Slack's users.info) who can use the app."""
        username = name or user_id.lower()
        self.fake.add_user(user_id, name=username, email=email, locale=locale, tz=tz)
        person = SlackUser(fake=self.fake, transport=self, user_id=user_id, name=username)
        self.people[user_id] = person
        return person

    def signed(self, body: str, *, timestamp: int | None = None) -> dict[str, str]:
        """Slack's signature headers for `body`."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=stamp, body=body)
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    async def deliver(self, body: str, content_type: str) -> tuple[int, Any]:
        """POST a signed request; returns (status, body) once the app has finished with it."""
        assert self._session is not None, "SlackWorld is not started"
        before = set(asyncio.all_tasks())
        headers = {**self.signed(body), "Content-Type": content_type}
        async with self._session.post(self.url, data=body.encode(), headers=headers) as response:
            status, text = response.status, await response.text()
        await settle(before)
        return status, _json_or_text(text)


async def settle(before: set[asyncio.Task[Any]], *, patience: float = SETTLE_SECONDS) -> None:
    """Wait until every task started since `before` has finished (listeners after the ack)."""
    deadline = time.monotonic() + patience
    current = asyncio.current_task()
    while True:
        pending = [
            task
            for task in asyncio.all_tasks() - before
            if task is not current and not task.done() and not _long_lived(task)
        ]
        if not pending:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            names = [task.get_coro().__qualname__ for task in pending]  # type: ignore[union-attr]
            raise AssertionError(f"the app did not finish within {patience} s: {names}")
        await asyncio.wait(pending, timeout=left)


def _long_lived(task: asyncio.Task[Any]) -> bool:
    coro = task.get_coro()
    return getattr(coro, "__qualname__", "") in _LONG_LIVED


def _json_or_text(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


@asynccontextmanager
async def slack_world(services: Services, **fake_options: Any) -> AsyncIterator[SlackWorld]:
    """A started fake Slack and app server for `services`, stopped afterwards."""
    async with FakeSlack(**fake_options) as fake:
        world = SlackWorld(services, fake)
        await world.start()
        try:
            yield world
        finally:
            await world.stop()
