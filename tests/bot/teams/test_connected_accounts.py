"""Issue 19 in Teams, at the adapter: connect LinkedIn, edit a caption in the card, post it.

Activities are posted to /api/messages as Teams sends them; answers are read at the loopback
connector; the browser's connect round trip goes to the fake LinkedIn and back to the server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.server import create_app
from bot.teams import setup
from bot.teams.settings import TeamsSettings
from handlers import programme
from handlers.context import Services
from handlers.types import Actor
from tests.bot.teams.factories import add_teams_item, join
from tests.bot.teams.fake_connector import FakeConnector
from tests.bot.teams.test_app import ALEX, PERSONAL, TENANT, activity, post
from tests.bot.teams.test_render import elements
from tests.conftest import FakeClock
from tests.publishing.fakes import FakeBluesky, FakeLinkedIn
from tests.publishing.fixtures import APP_PASSWORD, HANDLE
from tests.publishing.helpers import follow, with_accounts

MY_WORDS = "Our team's launch, in my words (really) #Launch"


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        fake.members["29:alex"] = {"id": "29:alex", "aadObjectId": ALEX}
        yield fake


@pytest.fixture
async def wired(services: Services, fake_linkedin: FakeLinkedIn) -> Services:
    return with_accounts(services, linkedin=fake_linkedin, bluesky=None)


@pytest.fixture
async def client(
    wired: Services, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient[Any, Any]]:
    for name in ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(wired)
    setup.register(
        app,
        settings=TeamsSettings(_env_file=None),
        services=wired,
        local_service_url=connector.service_url,
    )
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def _actions(connector: FakeConnector) -> list[dict[str, Any]]:
    """The actions of the latest card the bot sent or updated in the personal chat."""
    last = connector.calls[-1]
    return [
        e
        for a in last.body.get("attachments", [])
        for e in elements(a["content"]["body"])
        if e["type"] in ("Action.Submit", "Action.OpenUrl")
    ]


def _action(connector: FakeConnector, title: str) -> dict[str, Any]:
    [found] = [a for a in _actions(connector) if a.get("title") == title]
    return found


async def test_connect_linkedin_edit_in_the_card_and_post_it_from_teams(
    client: TestClient[Any, Any],
    connector: FakeConnector,
    wired: Services,
    fake_linkedin: FakeLinkedIn,
    clock: FakeClock,
) -> None:
    await join(wired.db, TENANT, ALEX, now=clock.now())
    await programme.set_networks(wired, Actor("teams", TENANT, ALEX), ["linkedin"])
    item = await add_teams_item(wired.db, TENANT, "launch", clock.now())

    assert await post(client, activity(connector, text="accounts"))
    connect = _action(connector, "Connect LinkedIn")
    served_at = str(client.make_url("")).rstrip("/")
    browser = await follow(
        connect["url"], public_base_url=wired.public_base_url, served_at=served_at
    )
    assert browser.status == 200, fake_linkedin.refusals

    assert await post(client, activity(connector, text="picks"))
    share = _action(connector, "Share on LinkedIn")
    picks_id = f"act-{len(connector.calls)}"
    typed = {**share["data"], f"caption:{item}": MY_WORDS}
    assert await post(client, activity(connector, value=typed, replyToId=picks_id))
    post_now = _action(connector, "Post to LinkedIn now")
    panel_id = f"act-{len(connector.calls)}"
    assert await post(client, activity(connector, value=post_now["data"], replyToId=panel_id))

    [posted] = fake_linkedin.posts
    assert posted["text"] == MY_WORDS
    assert posted["content"]["article"]["source"].startswith(f"{wired.public_base_url}/r/")
    view = _action(connector, "View your post on LinkedIn")
    assert view["url"] == f"https://www.linkedin.com/feed/update/{posted['id']}/"
    assert all(call.conversation_id == PERSONAL for call in connector.calls[-3:])


async def test_connect_bluesky_and_post_from_teams(
    connector: FakeConnector,
    services: Services,
    fake_bluesky: FakeBluesky,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aiohttp

    for name in ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)

    wired = with_accounts(services, linkedin=None, bluesky=fake_bluesky)
    app = create_app(wired)
    setup.register(
        app,
        settings=TeamsSettings(_env_file=None),
        services=wired,
        local_service_url=connector.service_url,
    )
    async with TestClient(TestServer(app)) as bluesky_client:
        await join(wired.db, TENANT, ALEX, now=clock.now())
        await programme.set_networks(wired, Actor("teams", TENANT, ALEX), ["bluesky"])
        item = await add_teams_item(wired.db, TENANT, "launch", clock.now())
        assert await post(bluesky_client, activity(connector, text="accounts"))
        form = _action(connector, "Connect Bluesky")["url"].replace(
            wired.public_base_url, str(bluesky_client.make_url("")).rstrip("/")
        )
        async with aiohttp.ClientSession() as browser:
            data = {"handle": HANDLE, "app_password": APP_PASSWORD}
            async with browser.post(form, data=data) as answer:
                assert answer.status == 200
        assert await post(bluesky_client, activity(connector, text="picks"))
        share = _action(connector, "Share on Bluesky")
        typed = {**share["data"], f"caption:{item}": MY_WORDS}
        picks_id = f"act-{len(connector.calls)}"
        assert await post(bluesky_client, activity(connector, value=typed, replyToId=picks_id))
        post_now = _action(connector, "Post to Bluesky now")
        panel_id = f"act-{len(connector.calls)}"
        pressed = activity(connector, value=post_now["data"], replyToId=panel_id)
        assert await post(bluesky_client, pressed)
    [posted] = fake_bluesky.posts
    link = posted["embed"]["external"]["uri"]
    assert posted["text"] == f"{MY_WORDS} {link}" and link.startswith(f"{wired.public_base_url}/r/")
