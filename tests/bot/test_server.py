"""The HTTP surface: health, metrics and tracked redirects, through a real aiohttp server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.server import create_app
from content_store.database import Database
from content_store.models import Delivery, Link, Person
from domain.networks import Network
from handlers import programme, sharing
from handlers.context import Services
from handlers.sharing import ShareRequest
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, actor, add_item

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(create_app(services))) as test_client:
        yield test_client


async def _shared_code(services: Services, clock: FakeClock) -> str:
    await programme.answer_invitation(services, actor(), "in")
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "Mine"))
    async with services.db.session() as session:
        return (await session.execute(select(Link.code))).scalar_one()


async def test_healthz_reports_the_database(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_is_503_when_the_database_is_unreachable(services: Services) -> None:
    broken = Database("postgresql+asyncpg://postgres@127.0.0.1:9/nowhere")
    down = Services(db=broken, captions=services.captions, public_base_url="http://x")
    async with TestClient(TestServer(create_app(down))) as test_client:
        response = await test_client.get("/healthz")
        body = await response.json()
        redirect = await test_client.get("/r/AAAAAAAAAAAA", allow_redirects=False)
        redirect_text = await redirect.text()
        metrics = await test_client.get("/metrics")
    await broken.dispose()
    assert response.status == 503
    assert body["status"] == "unavailable" and body["database"].startswith("error")
    assert redirect.status == 503
    assert "temporarily unavailable" in redirect_text
    assert metrics.status == 200


async def test_redirect_is_302_to_the_tagged_page(
    client: TestClient[Any, Any], services: Services, clock: FakeClock
) -> None:
    code = await _shared_code(services, clock)
    response = await client.get(
        f"/r/{code}", allow_redirects=False, headers={"User-Agent": BROWSER}
    )
    assert response.status == 302
    assert response.headers["Location"].startswith("https://news.example.com/launch?utm_source=x")
    assert response.headers["Cache-Control"] == "no-store"


async def test_unknown_code_gets_a_404_page(client: TestClient[Any, Any]) -> None:
    for path in ["/r/AAAAAAAAAAAA", "/r/%2F%2Fevil.example", "/r/x"]:
        response = await client.get(path, allow_redirects=False)
        assert response.status == 404
        assert "Location" not in response.headers
        assert "does not exist" in await response.text()


async def test_metrics_count_requests_shares_and_clicks(
    client: TestClient[Any, Any], services: Services, clock: FakeClock
) -> None:
    code = await _shared_code(services, clock)
    await client.get(f"/r/{code}", allow_redirects=False, headers={"User-Agent": BROWSER})
    await client.get(f"/r/{code}", allow_redirects=False, headers={"User-Agent": "Twitterbot/1.0"})
    text = await (await client.get("/metrics")).text()
    assert 'socialboost_shares{state="intent"} 1.0' in text
    assert 'socialboost_shares{state="confirmed"} 0.0' in text
    assert "socialboost_clicks 1.0" in text
    assert (
        'socialboost_http_requests_total{method="GET",route="/r/{code}",status="302"} 2.0' in text
    )


async def test_metrics_show_outbox_depth_and_send_rate_per_workspace(
    client: TestClient[Any, Any], services: Services, clock: FakeClock
) -> None:
    for user in ("U1", "U2", "U3"):
        await programme.answer_invitation(services, actor(user), "in")
    now = datetime.now(UTC)
    async with services.db.session() as session:
        people = list((await session.execute(select(Person.id).order_by(Person.id))).scalars())
        session.add_all(
            [
                Delivery(person_id=people[0], slot="s", status="pending", due_at=now),
                Delivery(person_id=people[1], slot="s", status="sending", due_at=now),
                Delivery(person_id=people[2], slot="s", status="sent", due_at=now, sent_at=now),
            ]
        )
    text = await (await client.get("/metrics")).text()
    assert f'socialboost_outbox_depth{{platform="slack",workspace="{WORKSPACE}"}} 2.0' in text
    rate = f'socialboost_outbox_send_rate{{platform="slack",workspace="{WORKSPACE}"}}'
    assert f"{rate} {1 / 60}" in text
