"""The Teams connector answering 429 and 502 in bursts: answers and scheduled sends arrive once."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.teams.app import TeamsAdapter
from bot.teams.messenger import RetryPolicy as TeamsRetry
from bot.teams.messenger import TeamsMessenger
from content_store.models import Delivery, Event
from content_store.people import get_or_create_workspace
from handlers.context import Services
from handlers.deliveries import Outcome, RetryPolicy, plan_picks
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig
from tests.bot.teams.factories import add_teams_item
from tests.bot.teams.fake_connector import Answer, FakeConnector
from tests.bot.teams.local_app import local_teams_app
from tests.bot.teams.test_app import ALEX, PERSONAL, TENANT, activity, post, texts
from tests.conftest import FakeClock

pytestmark = pytest.mark.faults

THROTTLED = Answer(429, {"Retry-After": "0"}, {"error": {"code": "Throttled"}})
BAD_GATEWAY = Answer(502, body={"error": {"code": "BadGateway"}})


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        fake.members["29:alex"] = {"id": "29:alex", "aadObjectId": ALEX, "email": "a@x.example"}
        yield fake


@pytest.fixture
async def teams(
    services: Services, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TestClient[Any, Any], TeamsAdapter]]:
    app, adapter = local_teams_app(
        services, service_url=connector.service_url, monkeypatch=monkeypatch
    )
    async with TestClient(TestServer(app)) as client:
        yield client, adapter


@pytest.mark.parametrize("burst", [[THROTTLED, THROTTLED], [BAD_GATEWAY], [THROTTLED, BAD_GATEWAY]])
async def test_an_answer_in_the_conversation_survives_a_burst(
    teams: tuple[TestClient[Any, Any], TeamsAdapter], connector: FakeConnector, burst: list[Answer]
) -> None:
    client, _ = teams
    assert await post(client, activity(connector, text="help"))  # installs: the welcome
    before = len(connector.posted_to(PERSONAL))
    connector.answer(*burst)
    assert await post(client, activity(connector, text="help"))
    answers = connector.posted_to(PERSONAL)[before:]
    assert len(answers) == len(burst) + 1  # the failed tries, then the one that arrived
    assert all(call.body == answers[-1].body for call in answers)
    assert "help" in texts(answers[-1]).lower() or "picks" in texts(answers[-1])


async def test_a_long_burst_loses_the_answer_but_not_the_effect(
    teams: tuple[TestClient[Any, Any], TeamsAdapter], connector: FakeConnector, services: Services
) -> None:
    client, _ = teams
    assert await post(client, activity(connector, text="help"))
    connector.answer(*[BAD_GATEWAY] * 10)
    assert await post(client, activity(connector, text="in"))
    connector.script.clear()
    async with services.db.session() as session:
        joined = (await session.execute(select(Event).filter_by(type="opted_in"))).scalars().all()
    assert len(joined) == 1


async def test_scheduled_picks_survive_429_and_502_and_arrive_once(
    teams: tuple[TestClient[Any, Any], TeamsAdapter],
    connector: FakeConnector,
    services: Services,
    clock: FakeClock,
) -> None:
    client, adapter = teams
    await add_teams_item(services.db, TENANT, "launch", clock.now() - timedelta(days=1))
    assert await post(client, activity(connector, text="in"))
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="teams", external_id=TENANT)
    assert await plan_picks(services, workspace=workspace, occurrence=clock.now()) == 1
    sent_before = len(connector.posted_to(PERSONAL))
    # More failures than one send retries: the outbox has to come back to it later.
    connector.answer(*[THROTTLED, BAD_GATEWAY] * 4)
    # The adapter's own messenger, but with short backoffs so the test does not wait seconds.
    messenger = TeamsMessenger(
        adapter=adapter.cloud, db=services.db, app_id=None, policy=TeamsRetry(backoff_seconds=0)
    )
    sender = Sender(
        services,
        messengers={"teams": messenger},
        limiter=RateLimiter(services.db, rates={"teams": Rate(1000, 1000)}),
        config=SenderConfig(pause_check_seconds=0, policy=RetryPolicy(max_attempts=10)),
        worker="fault-sender",
    )
    outcomes: Counter[Outcome] = Counter()
    for _ in range(6):
        outcomes = await sender.drain()  # counts since the sender started
        clock.advance(hours=1)
    assert outcomes[Outcome.SENT] == 1 and outcomes[Outcome.RETRY] >= 1
    delivered = connector.posted_to(PERSONAL)[sent_before:]
    # Each proactive turn has its own random reply-to id: compare what people see.
    distinct = {json.dumps(call.body["attachments"], sort_keys=True) for call in delivered}
    assert len(delivered) == 8 + len(distinct)  # each scripted failure once, each message once
    async with services.db.session() as session:
        (delivery,) = (await session.execute(select(Delivery))).scalars().all()
    assert str(getattr(delivery.status, "value", delivery.status)) == "sent"
