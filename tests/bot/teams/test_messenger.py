"""TeamsMessenger against a loopback connector: references, throttling, errors, updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core import AgentAuthConfiguration
from sqlalchemy import select

from bot.teams import cloud
from bot.teams.cloud import (
    TeamsCloudAdapter,
    TeamsCredentials,
    auth_configuration,
    build_cloud_adapter,
)
from bot.teams.messenger import RetryPolicy, TeamsDeliveryFailed, TeamsMessenger, split_message_id
from bot.teams.render import CARD_CONTENT_TYPE
from content_store.database import Database
from content_store.models import Delivery
from content_store.people import get_or_create_workspace
from content_store.teams_conversations import save_conversation
from handlers.context import Services
from handlers.deliveries import deliver_to
from handlers.types import Actor, Reply, Text
from tests.bot.teams.factories import add_teams_item, join
from tests.bot.teams.fake_connector import Answer, FakeConnector, free_port
from tests.bot.teams.test_render import card_for
from tests.conftest import FakeClock

TENANT = "tenant-1"
USER = "6f0f2a9e-1c4b-4d8e-9a51-0c2b1d3e4f5a"
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


class Sleeps:
    """The sleep port: records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture(autouse=True)
async def _close_adapters(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Adapters keep their connections across turns: each test's are closed after it."""
    built: list[TeamsCloudAdapter] = []

    def build(configuration: AgentAuthConfiguration) -> TeamsCloudAdapter:
        built.append(cloud.build_cloud_adapter(configuration))
        return built[-1]

    monkeypatch.setattr(f"{__name__}.build_cloud_adapter", build)
    yield
    for adapter in built:
        await adapter.aclose()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def messenger_for(db: Database, sleeps: Sleeps) -> TeamsMessenger:
    adapter = build_cloud_adapter(auth_configuration(None))
    return TeamsMessenger(adapter=adapter, db=db, app_id=None, sleep=sleeps, policy=RetryPolicy())


async def remember(
    db: Database, service_url: str, *, conversation: str = "a:personal", kind: str = "personal"
) -> int:
    """Store a conversation reference as the app does when it is installed."""
    reference = {
        "user": {"id": "29:user", "aadObjectId": USER},
        "bot": {"id": "28:bot"},
        "conversation": {"id": conversation, "conversationType": kind, "tenantId": TENANT},
        "channelId": "msteams",
        "serviceUrl": service_url,
    }
    async with db.session() as session:
        workspace = await get_or_create_workspace(session, platform="teams", external_id=TENANT)
        return await save_conversation(
            session,
            workspace_id=workspace.id,
            conversation_id=conversation,
            kind=kind,
            user_id=USER if kind == "personal" else "",
            reference=reference,
            now=NOW,
        )


async def test_a_message_reaches_the_personal_chat_as_a_card(
    db: Database, connector: FakeConnector, sleeps: Sleeps
) -> None:
    row_id = await remember(db, connector.service_url)
    sent = await messenger_for(db, sleeps).send_to_user(
        workspace_id=TENANT, user_id=USER, reply=Reply.text("Hello <b>there</b>")
    )
    assert sent == f"{row_id}#act-1"
    (call,) = connector.calls
    assert call.conversation_id == "a:personal"
    (attachment,) = call.body["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    assert attachment["content"]["body"][0]["inlines"][0]["text"] == "Hello <b>there</b>"
    assert sleeps.waits == []


async def test_picks_go_out_one_card_each_and_the_first_id_is_returned(
    db: Database, connector: FakeConnector, sleeps: Sleeps
) -> None:
    row_id = await remember(db, connector.service_url)
    reply = Reply(blocks=(Text("Your picks", heading=True), card_for(1), card_for(2)))
    sent = await messenger_for(db, sleeps).send_to_user(
        workspace_id=TENANT, user_id=USER, reply=reply
    )
    assert sent == f"{row_id}#act-1"
    assert len(connector.calls) == 3


async def test_throttling_waits_for_retry_after_then_succeeds(
    db: Database, connector: FakeConnector, sleeps: Sleeps
) -> None:
    await remember(db, connector.service_url)
    throttled = Answer(429, {"Retry-After": "2"}, {"error": {"code": "Throttled"}})
    connector.answer(throttled, throttled)
    await messenger_for(db, sleeps).send_to_user(
        workspace_id=TENANT, user_id=USER, reply=Reply.text("hi")
    )
    assert sleeps.waits == [2.0, 2.0]
    assert len(connector.calls) == 3


async def test_throttling_that_outlasts_the_retries_is_not_permanent(
    db: Database, connector: FakeConnector, sleeps: Sleeps
) -> None:
    await remember(db, connector.service_url)
    connector.answer(*[Answer(429, {"Retry-After": "5"})] * 4)
    with pytest.raises(TeamsDeliveryFailed) as failure:
        await messenger_for(db, sleeps).send_to_user(
            workspace_id=TENANT, user_id=USER, reply=Reply.text("hi")
        )
    assert failure.value.permanent is False
    assert failure.value.retry_after == 5.0
    assert sleeps.waits == [5.0, 5.0, 5.0]


async def test_a_retry_after_longer_than_we_wait_gives_up_at_once(
    db: Database, connector: FakeConnector, sleeps: Sleeps
) -> None:
    await remember(db, connector.service_url)
    connector.answer(Answer(429, {"Retry-After": "3600"}))
    with pytest.raises(TeamsDeliveryFailed) as failure:
        await messenger_for(db, sleeps).send_to_user(
            workspace_id=TENANT, user_id=USER, reply=Reply.text("hi")
        )
    assert (failure.value.permanent, failure.value.retry_after) == (False, 3600.0)
    assert sleeps.waits == [] and len(connector.calls) == 1


async def test_server_errors_back_off_then_fail_as_transient(
    db: Database, connector: FakeConnector, sleeps: Sleeps
) -> None:
    await remember(db, connector.service_url)
    connector.answer(*[Answer(503, body={"error": {"code": "ServiceUnavailable"}})] * 4)
    with pytest.raises(TeamsDeliveryFailed) as failure:
        await messenger_for(db, sleeps).send_to_user(
            workspace_id=TENANT, user_id=USER, reply=Reply.text("hi")
        )
    assert failure.value.permanent is False
    assert "ServiceUnavailable" in failure.value.reason
    assert sleeps.waits == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    ("status", "code"), [(403, "ConversationBlockedByUser"), (404, "ConversationNotFound")]
)
async def test_a_person_who_is_gone_is_a_permanent_failure_without_retries(
    db: Database, connector: FakeConnector, sleeps: Sleeps, status: int, code: str
) -> None:
    await remember(db, connector.service_url)
    connector.answer(Answer(status, body={"error": {"code": code, "message": "no"}}))
    with pytest.raises(TeamsDeliveryFailed) as failure:
        await messenger_for(db, sleeps).send_to_user(
            workspace_id=TENANT, user_id=USER, reply=Reply.text("hi")
        )
    assert failure.value.permanent is True
    assert failure.value.reason == f"{code} ({status})"
    assert len(connector.calls) == 1 and sleeps.waits == []


async def test_someone_without_a_stored_personal_chat_cannot_be_reached(
    db: Database, connector: FakeConnector, sleeps: Sleeps
) -> None:
    await remember(db, connector.service_url, conversation="19:channel", kind="channel")
    with pytest.raises(TeamsDeliveryFailed) as failure:
        await messenger_for(db, sleeps).send_to_user(
            workspace_id=TENANT, user_id=USER, reply=Reply.text("hi")
        )
    assert (failure.value.reason, failure.value.permanent) == ("no_personal_chat", True)
    assert connector.calls == []


async def test_an_unreachable_connector_is_a_transient_failure(
    db: Database, sleeps: Sleeps
) -> None:
    await remember(db, f"http://127.0.0.1:{free_port()}/")
    with pytest.raises(TeamsDeliveryFailed) as failure:
        await messenger_for(db, sleeps).send_to_user(
            workspace_id=TENANT, user_id=USER, reply=Reply.text("hi")
        )
    assert failure.value.permanent is False
    assert failure.value.reason.startswith("connection_error")
    assert sleeps.waits == [1.0, 2.0, 4.0]


async def test_a_channel_post_and_its_update_use_the_channel_reference(
    db: Database, connector: FakeConnector, sleeps: Sleeps
) -> None:
    row_id = await remember(db, connector.service_url, conversation="19:c@thread", kind="channel")
    messenger = messenger_for(db, sleeps)
    sent = await messenger.send_to_channel(
        workspace_id=TENANT, channel_id="19:c@thread", reply=Reply.text("This week")
    )
    assert split_message_id(sent) == (row_id, "act-1")
    await messenger.update(
        workspace_id=TENANT, conversation_id="", message_id=sent, reply=Reply.text("Changed")
    )
    put = connector.calls[-1]
    assert (put.method, put.conversation_id, put.activity_id) == ("PUT", "19:c@thread", "act-1")
    assert put.body["attachments"][0]["content"]["body"][0]["inlines"][0]["text"] == "Changed"


async def test_weekly_picks_are_delivered_through_the_messenger_and_recorded(
    services: Services, connector: FakeConnector, sleeps: Sleeps, clock: FakeClock
) -> None:
    for n in range(3):
        await add_teams_item(services.db, TENANT, f"story-{n}", clock.now())
    await join(services.db, TENANT, USER, now=clock.now())
    row_id = await remember(services.db, connector.service_url)
    actor = Actor("teams", TENANT, USER)
    assert await deliver_to(services, messenger_for(services.db, sleeps), actor) is True
    assert len(connector.calls) == 4  # the title, then one card per pick
    cards = [call.body["attachments"][0]["content"] for call in connector.calls[1:]]
    assert all(any(e["type"] == "Input.Text" for e in c["body"][0]["items"]) for c in cards)
    async with services.db.session() as session:
        delivery = (await session.execute(select(Delivery))).scalar_one()
    assert (delivery.status, delivery.platform_message_id) == ("sent", f"{row_id}#act-1")


async def test_a_permanent_failure_marks_the_delivery_failed(
    services: Services, connector: FakeConnector, sleeps: Sleeps, clock: FakeClock
) -> None:
    await add_teams_item(services.db, TENANT, "story", clock.now())
    await join(services.db, TENANT, USER, now=clock.now())
    await remember(services.db, connector.service_url)
    connector.answer(Answer(403, body={"error": {"code": "BotDisabledByAdmin"}}))
    messenger = messenger_for(services.db, sleeps)
    assert await deliver_to(services, messenger, Actor("teams", TENANT, USER)) is False
    async with services.db.session() as session:
        delivery = (await session.execute(select(Delivery))).scalar_one()
    assert delivery.status == "failed" and "BotDisabledByAdmin" in (delivery.error or "")


async def test_with_credentials_sends_carry_the_bots_entra_token(
    db: Database, connector: FakeConnector, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    async def entra_token(self: MsalAuth, resource_url: str, scopes: list[str], **_: Any) -> str:
        # Entra ID is out of reach in tests: this stands in for MSAL's client-credentials call.
        asked.append(self._msal_configuration.CLIENT_ID or "")
        return "entra-token-for-the-bot"

    monkeypatch.setattr(MsalAuth, "get_access_token", entra_token)
    app_id = "5a1f8f2e-0000-4000-8000-00000000a11d"
    credentials = TeamsCredentials(app_id, "s3cret", TENANT)
    adapter = build_cloud_adapter(auth_configuration(credentials))
    messenger = TeamsMessenger(adapter=adapter, db=db, app_id=app_id, sleep=sleeps)
    await remember(db, connector.service_url)
    await messenger.send_to_user(workspace_id=TENANT, user_id=USER, reply=Reply.text("hi"))
    (call,) = connector.calls
    assert call.authorization == "Bearer entra-token-for-the-bot"
    assert app_id in asked
