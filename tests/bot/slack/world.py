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
from bot.slack import setup as slack_setup
from bot.slack.app import SlackAdapter
from bot.slack.settings import SlackSettings
from content_store.models import Workspace
from content_store.people import get_or_create_workspace
from handlers import channel_mode
from handlers.context import Services
from handlers.deliveries import plan_picks
from handlers.manager_digest import plan_digests
from handlers.reminders import plan_reminders
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig
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
        settings = SlackSettings(
            _env_file=None,
            bot_token=self.fake.bot_token,
            signing_secret=self.secret,
            app_token=None,
            api_url=self.fake.base_url,
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
        person = SlackUser(
            fake=self.fake,
            transport=self,
            user_id=user_id,
            name=username,
            clock=self.services.clock,
        )
        self.people[user_id] = person
        return person

    @property
    def adapter(self) -> SlackAdapter:
        """The app's Slack adapter (its messenger sends what the scheduler queues)."""
        assert self.app is not None, "SlackWorld is not started"
        return self.app[slack_setup.SLACK_ADAPTER]

    async def workspace(self) -> Workspace:
        """The workspace row of the fake Slack team."""
        async with self.services.db.session() as session:
            return await get_or_create_workspace(
                session, platform="slack", external_id=self.fake.team_id
            )

    async def send_picks(self) -> int:
        """What the weekly picks slot does now: queue everyone due, post the channel's picks,
        then send the queue through the app's messenger. Returns how many were queued."""
        workspace = await self.workspace()
        now = self.services.clock.now()
        queued = await plan_picks(self.services, workspace=workspace, occurrence=now)
        await channel_mode.post_channel_picks(
            self.services, self.adapter.messenger, workspace=workspace
        )
        await self.send_queued()
        return queued

    async def send_reminders(self) -> int:
        """What the reminders slot does now; returns how many were queued."""
        now = self.services.clock.now()
        queued = await plan_reminders(
            self.services, workspace=await self.workspace(), occurrence=now
        )
        await self.send_queued()
        return queued

    async def send_digests(self) -> int:
        """What the manager digest slot does now; returns how many were queued."""
        now = self.services.clock.now()
        queued = await plan_digests(self.services, workspace=await self.workspace(), occurrence=now)
        await self.send_queued()
        return queued

    async def send_queued(self) -> None:
        """Send everything due in the outbox, as a replica's sender would."""
        sender = Sender(
            self.services,
            messengers={"slack": self.adapter.messenger},
            limiter=RateLimiter(self.services.db, rates={"slack": Rate(1000, 1000)}),
            config=SenderConfig(pause_check_seconds=0),
            worker="slack-world",
        )
        await sender.drain()

    def signed(self, body: str, *, timestamp: int | None = None) -> dict[str, str]:
        """Slack's signature headers for `body`."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = str(
            SignatureVerifier(self.secret).generate_signature(timestamp=stamp, body=body)
        )
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
