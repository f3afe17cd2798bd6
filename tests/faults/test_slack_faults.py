"""Slack's Web API answering 500 and 429 in bursts: nothing is lost, and people hear why."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.server import create_app
from bot.slack.app import SlackAdapter, render_pair
from bot.slack.messenger import SlackMessenger, build_web_client
from content_store.database import Database
from content_store.models import Delivery, Event, Person
from content_store.people import get_or_create_workspace
from domain.events import EventType
from handlers import programme
from handlers.context import Services
from handlers.deliveries import Outcome, RetryPolicy, plan_picks
from messages import translate
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signed import headers as signed_headers
from tests.bot.slack.signed import listeners_done
from tests.bot.slack.test_slack_app import SECRET, press, slash, until
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, actor, add_item

pytestmark = pytest.mark.faults

FAILED = translate("slack.failed", "en")


async def _dm(client: TestClient[Any, Any], text: str, *, event_id: str, user: str = "U1") -> int:
    body = json.dumps(
        {
            "team_id": WORKSPACE,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {"type": "message", "channel_type": "im", "user": user, "text": text},
        }
    )
    headers = {**signed_headers(body), "Content-Type": "application/json"}
    return (await client.post("/slack/events", data=body, headers=headers)).status


async def _events(services: Services, kind: EventType) -> int:
    async with services.db.session() as session:
        found = await session.scalar(select(func.count()).where(Event.type == kind.value))
    return int(found or 0)


def _burst(slack: FakeSlack, method: str, kind: str, times: int) -> None:
    if kind == "429":
        slack.rate_limit_next(method, times=times, retry_after=0)
    else:
        slack.server_error_next(method, times=times, status=int(kind))


@pytest.mark.parametrize("kind", ["500", "503", "429"])
async def test_a_short_burst_on_a_direct_message_reply_is_retried_and_delivered_once(
    client: TestClient[Any, Any], slack: FakeSlack, services: Services, kind: str
) -> None:
    _burst(slack, "chat.postMessage", kind, times=2)  # the test client retries twice
    assert await _dm(client, "in", event_id="Ev-burst") == 200
    await listeners_done(client)
    assert len(slack.sent_to("U1")) == 1
    statuses = [call.status for call in slack.calls_to("chat.postMessage")]
    assert statuses.count(200) == 1 and len(statuses) == 3
    assert await _events(services, EventType.OPTED_IN) == 1


@pytest.mark.parametrize("kind", ["500", "429"])
async def test_a_long_burst_on_a_slash_command_gets_a_plain_answer_and_no_half_work(
    client: TestClient[Any, Any], slack: FakeSlack, services: Services, kind: str
) -> None:
    await slash(client, slack, "in", name="in")
    await until(lambda: slack.responses("in"))
    _burst(slack, "conversations.open", kind, times=10)
    await slash(client, slack, "my-data", name="data")
    answer = (await until(lambda: slack.responses("data")))[0]
    assert FAILED in answer["text"] or FAILED in json.dumps(answer["blocks"])
    assert slack.calls_to("files.getUploadURLExternal") == []
    assert slack.calls_to("chat.postMessage") == []


async def test_a_burst_on_the_home_tab_still_saves_the_choice_and_shows_it(
    client: TestClient[Any, Any], slack: FakeSlack, services: Services
) -> None:
    await slash(client, slack, "in", name="in")
    await until(lambda: slack.responses("in"))
    slack.server_error_next("views.publish", times=2, status=500)
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": WORKSPACE},
        "api_app_id": "A1",
        "trigger_id": "t",
        "container": {"type": "view", "view_id": "V1"},
        "view": {
            "id": "V1",
            "type": "home",
            "state": {
                "values": {
                    "prefs.cadence": {
                        "prefs.cadence": {
                            "type": "static_select",
                            "selected_option": {"value": "monthly"},
                        }
                    }
                }
            },
        },
        "actions": [
            {
                "action_id": "prefs.save",
                "block_id": "b1",
                "type": "button",
                "value": "prefs.cadence",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {**signed_headers(body), "Content-Type": "application/x-www-form-urlencoded"}
    assert (await client.post("/slack/events", data=body, headers=headers)).status == 200
    await until(lambda: slack.calls_to("views.publish", ok=True))
    async with services.db.session() as session:
        person = (await session.execute(select(Person).filter_by(external_id="U1"))).scalar_one()
    assert person.cadence.value == "monthly"
    assert [c.status for c in slack.calls_to("views.publish")] == [500, 500, 200]


# ---------------------------------------------------------------- scheduled sends

USERS = [f"U{n:02d}" for n in range(6)]


async def _sender(services: Services, slack: FakeSlack) -> Sender:
    client = build_web_client(token="xoxb-test", base_url=slack.base_url, max_retries=0)
    messenger = SlackMessenger(client=client, render=render_pair)
    return Sender(
        services,
        messengers={"slack": messenger},
        limiter=RateLimiter(services.db, rates={"slack": Rate(1000, 1000)}),
        config=SenderConfig(pause_check_seconds=0, policy=RetryPolicy(max_attempts=10)),
        worker="fault-sender",
    )


@pytest.mark.parametrize("kind", ["500", "502", "429"])
async def test_scheduled_picks_survive_bursts_and_reach_everyone_exactly_once(
    services: Services, clock: FakeClock, kind: str
) -> None:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    for user in USERS:
        await programme.answer_invitation(services, actor(user), "in")
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
    assert await plan_picks(services, workspace=workspace, occurrence=clock.now()) == len(USERS)
    async with FakeSlack(team_id=WORKSPACE) as slack:
        for user in USERS:
            slack.add_user(user)
        # The client does not retry here: every failed send goes back to the outbox.
        _burst(slack, "chat.postMessage", kind, times=5)
        outcomes: Counter[Outcome] = Counter()
        for _ in range(8):
            outcomes += await (await _sender(services, slack)).drain()
            clock.advance(hours=1)
        assert outcomes[Outcome.SENT] == len(USERS) and outcomes[Outcome.RETRY] >= 1
        assert {user: len(slack.sent_to(user)) for user in USERS} == dict.fromkeys(USERS, 1)
        assert slack.problems == []
    async with services.db.session() as session:
        statuses = Counter((await session.execute(select(Delivery.status))).scalars())
    assert {str(getattr(s, "value", s)) for s in statuses} == {"sent"}


@pytest.mark.parametrize("via", ["command", "button"])
async def test_with_the_database_down_the_person_hears_so(
    services: Services, slack: FakeSlack, via: str
) -> None:
    """Regression: the listener crashed after the ack and the person heard nothing at all."""
    down = replace(services, db=Database("postgresql+asyncpg://postgres@127.0.0.1:9/nowhere"))
    web_client = build_web_client(token="xoxb-test", base_url=slack.base_url, max_retries=0)
    adapter = SlackAdapter(services=down, client=web_client, signing_secret=SECRET)
    app = create_app(down)
    app.router.add_post("/slack/events", adapter.handle)
    async with TestClient(TestServer(app)) as client:
        if via == "command":
            await slash(client, slack, "in", name="down")
        else:
            await press(client, slack, "programme.answer", "in", name="down")
        answer = (await until(lambda: slack.responses("down")))[0]
    assert translate("error.unavailable", "en") in json.dumps(answer)
    await down.db.dispose()
