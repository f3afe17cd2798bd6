"""Anonymous local mode through a same-host proxy (issue 16.9): a forwarded request, or one
naming any service URL but the Playground's, is refused before any turn runs, so a victim's
data export can't be sent to an attacker's connector."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.teams.cloud import playground_service_url, same_local_service
from content_store.models import Person
from handlers.context import Services
from tests.bot.teams.fake_connector import FakeConnector
from tests.bot.teams.local_app import local_teams_app
from tests.bot.teams.test_app import activity

pytestmark = pytest.mark.security

FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "x-forwarded-host": "bot.example.org",
    "X-Forwarded-Proto": "https",
    "Forwarded": "for=203.0.113.9;proto=https",
    "Via": "1.1 ngrok",
    "X-Real-IP": "203.0.113.9",
    "True-Client-IP": "203.0.113.9",
    "CF-Connecting-IP": "203.0.113.9",
}


@pytest.fixture
async def playground() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
async def attacker() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
async def client(
    services: Services, playground: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient[Any, Any]]:
    app, _ = local_teams_app(services, service_url=playground.service_url, monkeypatch=monkeypatch)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def _people(services: Services) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Person)) or 0)


@pytest.mark.parametrize("header", list(FORWARDED))
async def test_a_forwarded_request_is_refused_without_a_turn(
    client: TestClient[Any, Any], playground: FakeConnector, services: Services, header: str
) -> None:
    said = activity(playground, text="my-data")
    response = await client.post("/api/messages", json=said, headers={header: FORWARDED[header]})
    assert response.status == 401
    assert playground.calls == []
    assert await _people(services) == 0


async def test_another_service_url_is_refused_and_gets_nothing(
    client: TestClient[Any, Any],
    playground: FakeConnector,
    attacker: FakeConnector,
    services: Services,
) -> None:
    said = activity(attacker, text="my-data")
    response = await client.post("/api/messages", json=said)
    assert response.status == 401
    assert attacker.calls == [] and playground.calls == []
    assert await _people(services) == 0


async def test_the_playgrounds_own_service_url_is_served(
    client: TestClient[Any, Any], playground: FakeConnector
) -> None:
    response = await client.post("/api/messages", json=activity(playground, text="my-data"))
    assert response.status in (200, 202)
    assert playground.calls  # the export went to the Playground


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("http://localhost:56150/_connector", True),
        ("http://127.0.0.1:56150/_connector/", True),
        ("http://[::1]:56150/_connector", True),
        ("http://localhost:56151/_connector", False),
        ("https://localhost:56150/_connector", False),
        ("http://attacker.example:56150/_connector", False),
        ("http://localhost:56150/elsewhere", False),
        ("http://user@localhost:56150/_connector", False),
        ("http://localhost:56150/_connector?x=1", False),
        ("http://localhost:notaport/_connector", False),
    ],
)
def test_only_the_playgrounds_service_url_counts_as_local(url: str, same: bool) -> None:
    assert same_local_service(url, playground_service_url(56150)) is same
