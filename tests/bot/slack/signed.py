"""Hand-built signed Slack requests, for tests that need exact control over one request.

Most tests use a `SlackUser` (`slack_user.py`); these helpers serve the ones that forge or
repeat requests (signatures, retries, faults). Trigger ids and response URLs come from the
fake, so the strict checks apply to them too.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier

from bot import lifecycle
from bot.server import create_app
from bot.slack.app import SlackAdapter
from bot.slack.messenger import build_web_client
from handlers.context import Services
from tests.bot.slack.fake_slack import FakeSlack
from tests.factories import WORKSPACE

SECRET = "test-signing-secret"
FORM = "application/x-www-form-urlencoded"
_IN_FLIGHT = web.AppKey("in_flight", lifecycle.InFlight)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """A strict fake Slack that knows three people."""
    async with FakeSlack(team_id=WORKSPACE) as fake:
        fake.add_user("U1", locale="en-US", tz="Europe/Amsterdam")
        fake.add_user("U2", locale="nl-NL", tz="Europe/Amsterdam")
        fake.add_user("UCT", locale="en-GB", tz="Europe/London")
        yield fake


@pytest.fixture
async def client(services: Services, slack: FakeSlack) -> AsyncIterator[TestClient[Any, Any]]:
    """The app's Slack endpoint in a test server, talking to the fake."""
    web_client = build_web_client(token="xoxb-test", base_url=slack.base_url, max_retries=2)
    adapter = SlackAdapter(services=services, client=web_client, signing_secret=SECRET)
    app = create_app(services)
    app.router.add_post("/slack/events", adapter.handle)
    in_flight = _track_listeners(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
        # Listeners still running would write into the next test's emptied tables.
        await in_flight.drain(seconds=10)


def _track_listeners(app: web.Application) -> lifecycle.InFlight:
    """Track the tasks the app's requests start (Bolt runs listeners after its ack), as the
    server's graceful shutdown does, so a test can wait for exactly those."""
    in_flight = lifecycle.InFlight()
    app.middlewares.append(in_flight.middleware)

    async def started(_: web.Application) -> None:
        in_flight.install(asyncio.get_running_loop())

    async def stopped(_: web.Application) -> None:
        in_flight.uninstall(asyncio.get_running_loop())

    app.on_startup.append(started)
    app.on_cleanup.append(stopped)
    app[_IN_FLIGHT] = in_flight
    return in_flight


async def listeners_done(client: TestClient[Any, Any], *, seconds: float = 30) -> None:
    """Wait until every listener the requests so far started has finished (and whatever those
    started): after it, nothing more happens unless another request comes."""
    assert client.app is not None
    assert await client.app[_IN_FLIGHT].drain(seconds=seconds) == 0, "listeners still running"


def headers(body: str, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's signature headers for `body`."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = str(SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body))
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


async def post(client: TestClient[Any, Any], body: str, content_type: str, **extra: str) -> int:
    """POST a signed body to /slack/events; the HTTP status."""
    sent = {**headers(body), "Content-Type": content_type, **extra}
    response = await client.post("/slack/events", data=body.encode(), headers=sent)
    return response.status


async def slash(
    client: TestClient[Any, Any],
    slack: FakeSlack,
    text: str,
    *,
    user: str = "U1",
    name: str = "cmd",
) -> int:
    """`/boost text` typed by `user` in channel C1; answers land in `slack.responses(name)`."""
    body = urlencode(
        {
            "command": "/boost",
            "text": text,
            "user_id": user,
            "user_name": user.lower(),
            "team_id": WORKSPACE,
            "team_domain": "test",
            "channel_id": "C1",
            "channel_name": "general",
            "trigger_id": slack.trigger_id(user),
            "response_url": slack.response_url(name, user=user, channel="C1"),
            "api_app_id": "A1",
        }
    )
    return await post(client, body, FORM)


async def press(
    client: TestClient[Any, Any],
    slack: FakeSlack,
    action_id: str,
    value: str,
    *,
    user: str = "U1",
    name: str = "act",
    message: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
) -> int:
    """A button press in the DM: on `message` when given, else on an ephemeral message
    (which Slack sends without `message`)."""
    ts = str((message or {}).get("ts") or "1.1")
    container: dict[str, Any] = {
        "type": "message",
        "channel_id": f"D{user}",
        "message_ts": ts,
        "is_ephemeral": message is None,
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": WORKSPACE},
        "api_app_id": "A1",
        "trigger_id": slack.trigger_id(user),
        "response_url": slack.response_url(name),
        "container": container,
        "channel": {"id": f"D{user}"},
        "state": {"values": state or {}},
        "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button"}],
    }
    if message is not None:
        payload["message"] = message
    return await post(client, urlencode({"payload": json.dumps(payload)}), FORM)


def event(body: dict[str, Any], event_id: str = "Ev1") -> str:
    """An Events API envelope around `body`."""
    return json.dumps(
        {
            "token": "x",
            "team_id": WORKSPACE,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": body,
        }
    )


async def until(check: Callable[[], Any], *, seconds: float = 10) -> Any:
    """Wait for listeners that run after the ack; fails the test if nothing happens."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.02)
    pytest.fail("the app did not do what was expected in time")
