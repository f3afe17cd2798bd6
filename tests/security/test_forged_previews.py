"""A content preview's Save carries only the id of a preview kept on the server: a forged value
(a whole item with a javascript: link, an internal address, an oversize caption, a topic that
pings everyone) saves nothing, on Teams and through the dispatcher."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from content_store import pending_content
from content_store.content import NewContent
from content_store.models import ContentItem, Person, Workspace
from domain.networks import Network
from domain.programme import Role
from handlers.actions import CONTENT_SAVE, Press
from handlers.context import Services
from handlers.dispatch import dispatch
from tests.bot.teams import factories as teams_factories
from tests.bot.teams.fake_connector import FakeConnector
from tests.bot.teams.local_app import local_teams_app
from tests.bot.teams.test_app import ALEX, PERSONAL, TENANT, activity, post
from tests.conftest import FakeClock
from tests.factories import actor, grant
from tests.fakes import FakeMessenger

pytestmark = pytest.mark.security

FORGED = json.dumps(
    {
        "canonical_url": "javascript:alert(1)",
        "title": "x",
        "description": "",
        "image_url": "http://169.254.169.254/latest/meta-data/",
        "site_name": None,
        "topics": ["<!channel>"],
        "captions": {"x": "y" * 5000},
        "publish_from": None,
        "publish_until": None,
        "priority": 0,
    }
)


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        fake.members["29:alex"] = {"id": "29:alex", "aadObjectId": ALEX}
        yield fake


@pytest.fixture
async def teams(
    services: Services, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient[Any, Any]]:
    app, _ = local_teams_app(services, service_url=connector.service_url, monkeypatch=monkeypatch)
    async with TestClient(TestServer(app)) as client:
        yield client


async def _items(services: Services) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(ContentItem)) or 0)


@pytest.mark.parametrize("value", [FORGED, "0", "-1", "99999999", "1 OR 1=1", ""])
async def test_a_forged_save_in_teams_saves_nothing(
    teams: TestClient[Any, Any], connector: FakeConnector, services: Services, value: str
) -> None:
    """Regression (issue 16 item 10): the Save value was the item itself, saved unchecked."""
    await teams_factories.grant(services.db, TENANT, ALEX, Role.CONTENT)
    pressed = {"action": CONTENT_SAVE, "value": value}
    assert await post(teams, activity(connector, value=pressed))
    answer = json.dumps([c.body for c in connector.posted_to(PERSONAL)])
    assert "no longer works" in answer or "expired" in answer
    assert await _items(services) == 0


async def test_a_preview_can_be_saved_once_by_its_author_within_a_day(
    services: Services, clock: FakeClock
) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    await grant(services.db, "U-OTHER", Role.CONTENT)
    new = NewContent(
        canonical_url="https://news.example.com/a", title="A", captions={Network.X: "Mine"}
    )
    async with services.db.session() as session:
        workspace = (await session.execute(select(Workspace))).scalar_one()
        author = (await session.execute(select(Person).filter_by(external_id="U-CT"))).scalar_one()
        kept = [
            await pending_content.keep(
                session, workspace_id=workspace.id, person_id=author.id, new=new, now=clock.now()
            )
            for _ in range(2)
        ]
    messenger = FakeMessenger()
    other = await dispatch(
        services, actor("U-OTHER"), Press(CONTENT_SAVE, str(kept[0])), messenger=messenger
    )
    assert "expired" in str(other.reply)
    clock.advance(days=1, seconds=1)
    stale = await dispatch(
        services, actor("U-CT"), Press(CONTENT_SAVE, str(kept[1])), messenger=messenger
    )
    assert "expired" in str(stale.reply)
    assert await _items(services) == 0
