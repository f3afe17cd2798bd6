"""Teams HTTP clients kept across turns: one connection per service URL and token, closed at
shutdown and never before the turn that holds one is done."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from microsoft_agents.activity import Activity, ChannelAccount, RoleTypes
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core import RestChannelServiceClientFactory, TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from packaging.specifiers import SpecifierSet

from bot.teams import client_pool
from bot.teams.client_pool import PooledClientFactory, PooledConnectorClient
from bot.teams.cloud import (
    TeamsCloudAdapter,
    TeamsCredentials,
    auth_configuration,
    build_cloud_adapter,
)
from bot.teams.messenger import TeamsMessenger
from content_store.database import Database
from handlers.context import Services
from handlers.types import Reply
from tests.bot.teams.fake_connector import FakeConnector
from tests.bot.teams.local_app import local_teams_app
from tests.bot.teams.test_app import activity, post
from tests.bot.teams.test_messenger import TENANT, USER, remember

AUDIENCE = "https://api.botframework.com"


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
async def other_connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[PooledConnectorClient]:
    """Every pooled connector client the factory makes, in order."""
    clients: list[PooledConnectorClient] = []

    class Recorded(PooledConnectorClient):
        def __init__(self, endpoint: str, token: str) -> None:
            super().__init__(endpoint, token)
            clients.append(self)

    monkeypatch.setattr(client_pool, "PooledConnectorClient", Recorded)
    return clients


@pytest.fixture
async def cloud() -> AsyncIterator[TeamsCloudAdapter]:
    adapter = build_cloud_adapter(auth_configuration(None))
    yield adapter
    await adapter.aclose()


@pytest.fixture
async def factory(cloud: TeamsCloudAdapter) -> PooledClientFactory:
    assert isinstance(cloud.clients, PooledClientFactory)
    return cloud.clients


async def connector_for(factory: PooledClientFactory, service_url: str) -> ConnectorClientBase:
    """The connector client of an anonymous turn to `service_url`, as the SDK asks for it."""
    return await factory.create_connector_client(
        None, ClaimsIdentity(), service_url, AUDIENCE, use_anonymous=True
    )


def session_closed(client: ConnectorClientBase) -> bool:
    assert isinstance(client, PooledConnectorClient)
    return bool(client.client.closed)


async def test_turns_over_http_share_one_connection_until_the_server_stops(
    services: Services,
    connector: FakeConnector,
    made: list[PooledConnectorClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, _ = local_teams_app(services, service_url=connector.service_url, monkeypatch=monkeypatch)
    async with TestClient(TestServer(app)) as client:
        for _ in range(3):
            assert await post(client, activity(connector, text="help"))
        # Three answers and the proactive welcome, all over the connection of the first turn.
        assert len(connector.posted_to("a:alex-personal")) >= 4
        assert connector.connections() == 1
        assert len(made) == 1 and not made[0].client.closed
    assert made[0].client.closed  # the server's cleanup closed it


async def test_a_second_service_url_gets_its_own_client(
    factory: PooledClientFactory, connector: FakeConnector, other_connector: FakeConnector
) -> None:
    first = await connector_for(factory, connector.service_url)
    await first.close()  # what the SDK does at the end of every turn
    again = await connector_for(factory, connector.service_url)
    elsewhere = await connector_for(factory, other_connector.service_url)
    assert again is first and elsewhere is not first
    assert elsewhere.base_uri == other_connector.service_url
    assert not session_closed(first)


async def test_proactive_sends_reuse_the_connection(
    db: Database, connector: FakeConnector, cloud: TeamsCloudAdapter
) -> None:
    messenger = TeamsMessenger(adapter=cloud, db=db, app_id=None)
    await remember(db, connector.service_url)
    for text in ("one", "two", "three"):
        await messenger.send_to_user(workspace_id=TENANT, user_id=USER, reply=Reply.text(text))
    assert len(connector.calls) == 3
    assert connector.connections() == 1


def test_the_installed_agents_sdk_is_a_release_the_pool_supports() -> None:
    # Fails after a lock bump past client_pool.SUPPORTED: the pool would silently be off.
    # Compare the factory with the new SDK's RestChannelServiceClientFactory, run this file,
    # then widen the range.
    assert client_pool.unsupported_versions() == [], (
        "the Agents SDK is outside what bot/teams/client_pool.py was written for"
    )


async def test_an_unsupported_sdk_gets_its_own_per_turn_clients_with_a_warning(
    db: Database,
    connector: FakeConnector,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(
        client_pool, "SUPPORTED", {"microsoft-agents-hosting-core": SpecifierSet("<1")}
    )
    cloud = build_cloud_adapter(auth_configuration(None))
    assert type(cloud.clients) is RestChannelServiceClientFactory
    assert "Teams client pool off" in caplog.text
    messenger = TeamsMessenger(adapter=cloud, db=db, app_id=None)
    await remember(db, connector.service_url)
    for text in ("one", "two"):
        await messenger.send_to_user(workspace_id=TENANT, user_id=USER, reply=Reply.text(text))
    assert len(connector.calls) == 2
    assert connector.connections() == 2  # a client, and a connection, per send
    await cloud.aclose()


async def test_a_refreshed_token_gets_a_new_client_and_every_one_is_closed_at_the_end(
    db: Database,
    connector: FakeConnector,
    made: list[PooledConnectorClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    current = ["token-1"]

    async def entra_token(self: MsalAuth, resource_url: str, scopes: list[str], **_: Any) -> str:
        return current[0]  # MSAL's cache hands out the same token until it refreshes it

    monkeypatch.setattr(MsalAuth, "get_access_token", entra_token)
    app_id = "5a1f8f2e-0000-4000-8000-00000000a11d"
    cloud = build_cloud_adapter(auth_configuration(TeamsCredentials(app_id, "s3cret", TENANT)))
    messenger = TeamsMessenger(adapter=cloud, db=db, app_id=app_id)
    await remember(db, connector.service_url)
    for text in ("one", "two", "three"):
        current[0] = "token-2" if text == "three" else "token-1"
        await messenger.send_to_user(workspace_id=TENANT, user_id=USER, reply=Reply.text(text))
    sent_with = [call.authorization for call in connector.calls]
    assert sent_with == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]
    assert connector.connections() == 2
    assert [client.client.closed for client in made] == [False, False]
    await cloud.aclose()
    assert [client.client.closed for client in made] == [True, True]


async def test_closing_the_factory_closes_the_sessions(factory: PooledClientFactory) -> None:
    client = await connector_for(factory, "http://127.0.0.1:9/")
    await client.close()
    assert not session_closed(client)
    await factory.aclose_all()
    assert session_closed(client)


async def test_a_client_a_turn_still_holds_is_closed_when_that_turn_is_done(
    factory: PooledClientFactory,
) -> None:
    held = await connector_for(factory, "http://127.0.0.1:9/")
    closing = asyncio.create_task(factory.aclose_all(grace_seconds=10))
    await asyncio.sleep(0.01)
    assert not session_closed(held) and not closing.done()
    await held.close()  # the turn's end
    await asyncio.wait_for(closing, 1)
    assert session_closed(held)


async def test_a_client_never_given_back_is_closed_after_the_grace(
    factory: PooledClientFactory,
) -> None:
    held = await connector_for(factory, "http://127.0.0.1:9/")
    await factory.aclose_all(grace_seconds=0.01)
    assert session_closed(held)


async def test_after_shutdown_turns_get_clients_of_their_own(
    factory: PooledClientFactory,
) -> None:
    await factory.aclose_all()
    client = await connector_for(factory, "http://127.0.0.1:9/")
    assert not isinstance(client, PooledConnectorClient)
    await client.close()
    assert client.client.closed  # type: ignore[attr-defined]


async def test_the_oldest_clients_beyond_the_limit_close_once_free(
    factory: PooledClientFactory,
) -> None:
    urls = [f"http://127.0.0.1:{port}/" for port in range(9, 11 + client_pool.CONNECTORS_KEPT)]
    oldest = await connector_for(factory, urls[0])  # held by a turn that is still running
    second = await connector_for(factory, urls[1])
    await second.close()
    for url in urls[2:]:
        await (await connector_for(factory, url)).close()
    assert session_closed(second)  # evicted and idle: closed at once
    assert not session_closed(oldest)  # evicted while in use: kept until its turn is done
    await oldest.close()
    assert session_closed(oldest)
    assert await connector_for(factory, urls[0]) is not oldest


async def test_the_user_token_client_is_reused(
    cloud: TeamsCloudAdapter, factory: PooledClientFactory
) -> None:
    context = TurnContext(cloud, Activity(type="message"))
    first = await factory.create_user_token_client(context, ClaimsIdentity(), use_anonymous=True)
    await first.close()
    again = await factory.create_user_token_client(context, ClaimsIdentity(), use_anonymous=True)
    assert again is first and not first.client.closed
    await factory.aclose_all()
    assert first.client.closed


async def test_copilot_studio_connector_users_get_the_sdks_own_client(
    cloud: TeamsCloudAdapter, factory: PooledClientFactory
) -> None:
    recipient = ChannelAccount(id="bot", role=RoleTypes.connector_user)
    context = TurnContext(cloud, Activity(type="message", recipient=recipient))
    client = await factory.create_connector_client(
        context, ClaimsIdentity(), "http://127.0.0.1:9/", AUDIENCE, use_anonymous=True
    )
    assert not isinstance(client, PooledConnectorClient)
    await client.close()


async def test_another_event_loop_gets_clients_of_its_own(factory: PooledClientFactory) -> None:
    url = "http://127.0.0.1:9/"
    here = await connector_for(factory, url)
    there: list[ConnectorClientBase] = []

    async def elsewhere() -> None:
        client = await connector_for(factory, url)
        there.append(client)
        assert isinstance(client, PooledConnectorClient)
        await client.client.close()  # that loop ends with this thread

    thread = threading.Thread(target=lambda: asyncio.run(elsewhere()))
    thread.start()
    thread.join()
    assert there and there[0] is not here
    assert await connector_for(factory, url) is here
