"""The Teams adapter over HTTP: activities posted to /api/messages, answers read at a loopback
connector. Covers what the Playground cannot show: channels, removals, retries, mentions."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event, select

from bot.teams import setup
from content_store.models import (
    ContentItem,
    Event,
    Person,
    ProcessedEvent,
    Share,
    TeamsConversation,
    Workspace,
)
from content_store.people import roles_of
from content_store.people_import import import_people, parse_people_csv
from domain.programme import Role
from handlers.context import Services
from tests.bot.teams.factories import add_teams_item, grant, join
from tests.bot.teams.fake_connector import Answer, Call, FakeConnector
from tests.bot.teams.local_app import local_teams_app
from tests.bot.teams.test_render import elements
from tests.conftest import FakeClock
from tests.fakes import drain

TENANT = "3c2b1a00-0000-4000-8000-0000000000aa"
ALEX = "6f0f2a9e-1c4b-4d8e-9a51-0c2b1d3e4f5a"
MEGAN = "11111111-2222-4333-8444-555555555555"
PERSONAL = "a:alex-personal"
CHANNEL = "19:general@thread.tacv2"
_ids = itertools.count(1)
PAGE = """<html><head><title>Launch week</title>
<meta property="og:description" content="What we shipped."></head><body>hi</body></html>"""


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        fake.members["29:alex"] = {
            "id": "29:alex",
            "aadObjectId": ALEX,
            "email": "alex@example.com",
        }
        yield fake


@pytest.fixture
async def client(
    services: Services, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient[Any, Any]]:
    app, _ = local_teams_app(services, service_url=connector.service_url, monkeypatch=monkeypatch)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def activity(
    connector: FakeConnector,
    *,
    conversation: str = PERSONAL,
    kind: str = "personal",
    activity_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    return {
        "type": "message",
        "id": activity_id or f"m-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": connector.service_url,
        "from": {"id": "29:alex", "name": "Alex", "aadObjectId": ALEX},
        "recipient": {"id": "28:bot", "name": "Social Boost"},
        "conversation": {"id": conversation, "conversationType": kind, "tenantId": TENANT},
        "locale": "en-US",
        **fields,
    }


async def post(client: TestClient[Any, Any], body: dict[str, Any]) -> bool:
    """Post an activity as Teams would; True when the bot accepted it (200 or 202)."""
    response = await client.post("/api/messages", json=body)
    return response.status in (200, 202)


def texts(call: Call) -> str:
    return json.dumps(call.body, ensure_ascii=False)


async def test_a_private_answer_asked_for_in_a_channel_goes_to_the_personal_chat(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services
) -> None:
    assert await post(client, activity(connector, text="help"))
    thread = f"{CHANNEL};messageid=1700000000000"
    asked = activity(connector, conversation=thread, kind="channel", text="my-data")
    assert await post(client, asked)
    (note,) = connector.posted_to(thread)
    assert "personal chat" in texts(note) and "data:application/json" not in texts(note)
    delivered = connector.posted_to(PERSONAL)[-1]
    # Teams refuses data: file attachments from bots: the file comes as a download link.
    assert [a for a in delivered.body["attachments"] if a.get("name")] == []
    (link,) = [
        e["url"]
        for a in delivered.body["attachments"]
        for e in elements(a["content"]["body"])
        if e["type"] == "Action.OpenUrl"
    ]
    assert link.startswith("https://boost.example.org/files/")
    response = await client.get(urlsplit(link).path)
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(await response.read())
    assert data["person"]["external_id"] == ALEX
    async with services.db.session() as session:
        stored = {
            r.conversation_id: r.kind
            for r in (await session.execute(select(TeamsConversation))).scalars()
        }
    assert stored == {PERSONAL: "personal", CHANNEL: "channel"}


async def test_installing_welcomes_once_and_removing_forgets_the_chat(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services
) -> None:
    install = activity(connector, type="installationUpdate", action="add")
    assert await post(client, install)
    assert await post(client, activity(connector, type="conversationUpdate"))
    assert await post(client, {**install, "id": "again"})
    welcomes = [c for c in connector.posted_to(PERSONAL) if "voluntary" in texts(c)]
    assert len(welcomes) == 1
    removed = activity(connector, type="installationUpdate", action="remove")
    assert await post(client, removed)
    async with services.db.session() as session:
        assert (await session.execute(select(TeamsConversation))).scalars().all() == []


async def test_an_activity_teams_delivers_twice_has_one_effect(
    client: TestClient[Any, Any], connector: FakeConnector
) -> None:
    await post(client, activity(connector, text="help"))
    before = len(connector.posted_to(PERSONAL))
    twice = activity(connector, text="help", activity_id="same-id")
    assert await post(client, twice)
    assert await post(client, twice)
    assert len(connector.posted_to(PERSONAL)) == before + 1


async def test_a_body_that_is_not_an_activity_is_refused(client: TestClient[Any, Any]) -> None:
    bad_json = await client.post(
        "/api/messages", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status == 400
    assert (await client.post("/api/messages", json={"type": "message"})).status == 400


async def test_an_admin_gives_a_role_by_mentioning_someone(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services
) -> None:
    await grant(services.db, TENANT, ALEX, Role.ADMIN)
    connector.members["29:megan"] = {"id": "29:megan", "name": "Megan", "aadObjectId": MEGAN}
    mention = {"type": "mention", "text": "<at>Megan</at>", "mentioned": {"id": "29:megan"}}
    said = activity(connector, text="role <at>Megan</at> content", entities=[mention])
    assert await post(client, said)
    assert "Their roles now: content" in texts(connector.posted_to(PERSONAL)[-1])
    async with services.db.session() as session:
        megan = (await session.execute(select(Person).filter_by(external_id=MEGAN))).scalar_one()
        assert await roles_of(session, person_id=megan.id) == {Role.CONTENT}


async def test_prefs_shows_one_form_and_its_one_save_keeps_every_choice(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services, clock: FakeClock
) -> None:
    await join(services.db, TENANT, ALEX, now=clock.now())
    await post(client, activity(connector, text="prefs"))
    page = [c for c in connector.posted_to(PERSONAL) if "Input.ChoiceSet" in texts(c)]
    choice_sets = [
        e["id"]
        for c in page
        for a in c.body["attachments"]
        for e in elements(a["content"]["body"])
        if e["type"] == "Input.ChoiceSet"
    ]
    assert {"prefs.cadence", "prefs.networks", "prefs.consents"} <= set(choice_sets)
    (form,) = page
    saves = [
        e
        for a in form.body["attachments"]
        for e in elements(a["content"]["body"])
        if e["type"] == "Action.Submit" and e["data"]["action"] == "prefs.save"
    ]
    assert len(saves) == 1  # one Save for the whole form, so nothing ticked is lost
    typed = {"prefs.networks": "bluesky,x", "prefs.topics": "", "prefs.cadence": "monthly"}
    saved = activity(connector, value={**saves[0]["data"], **typed}, replyToId="act-1")
    assert await post(client, saved)
    answer = texts(connector.posted_to(PERSONAL)[-1])
    assert "Your networks: X, Bluesky." in answer and "once a month" in answer
    async with services.db.session() as session:
        alex = (await session.execute(select(Person).filter_by(external_id=ALEX))).scalar_one()
    assert alex.networks == ["x", "bluesky"] and alex.cadence.value == "monthly"


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/launch", page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


async def test_content_is_previewed_then_saved_from_the_card(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services, site: str
) -> None:
    await grant(services.db, TENANT, ALEX, Role.CONTENT)
    await post(client, activity(connector, text=f"add {site}/launch #product"))
    preview = connector.posted_to(PERSONAL)[-1]
    save = next(
        e
        for a in preview.body["attachments"]
        for e in elements(a["content"]["body"])
        if e["type"] == "Action.Submit" and e["data"]["action"] == "content.save"
    )
    preview_id = f"act-{connector.calls.index(preview) + 1}"
    pressed = activity(connector, value=save["data"], replyToId=preview_id)
    assert await post(client, pressed)
    update = connector.calls[-1]
    assert (update.method, update.activity_id) == ("PUT", preview_id)
    assert "Added item" in texts(update) or "Saved item" in texts(update)
    async with services.db.session() as session:
        item = (await session.execute(select(ContentItem))).scalar_one()
    assert item.title == "Launch week"


async def test_an_answer_teams_refuses_is_logged_and_the_request_still_accepted(
    client: TestClient[Any, Any], connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    await post(client, activity(connector, text="help"))
    connector.answer(Answer(403, body={"error": {"code": "BotDisabledByAdmin"}}))
    calls = len(connector.calls)
    assert await post(client, activity(connector, text="help"))
    assert "Teams answer not delivered: BotDisabledByAdmin (403)" in caplog.text
    assert len(connector.calls) == calls + 1  # a refusal that will not change is not retried


async def test_tips_and_the_let_my_manager_know_button(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services
) -> None:
    await post(client, activity(connector, text="tips"))
    tips = connector.posted_to(PERSONAL)[-1]
    assert "tips.manager" in texts(tips)
    tips_id = f"act-{connector.calls.index(tips) + 1}"
    pressed = {"action": "tips.manager", "value": "yes"}
    assert await post(client, activity(connector, value=pressed, replyToId=tips_id))
    update = connector.calls[-1]
    assert (update.method, update.activity_id) == ("PUT", tips_id)
    # Nobody is on record as this person's manager: the answer says so, offering the content team.
    assert "no manager on record" in texts(update)
    assert "tips.content_team" in texts(update)
    async with services.db.session() as session:
        asked = (await session.execute(select(Event).where(Event.type == "help_asked"))).scalars()
        assert [e.payload["share_with_manager"] for e in asked] == [False]


async def test_a_known_chat_is_not_rewritten_by_every_message_but_comes_back_after_removal(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services, clock: FakeClock
) -> None:
    async def stored() -> list[Any]:
        async with services.db.session() as session:
            query = select(TeamsConversation.updated_at)
            return list((await session.execute(query)).scalars())

    assert await post(client, activity(connector, text="help"))
    (first,) = await stored()
    clock.advance(minutes=5)
    assert await post(client, activity(connector, text="help"))
    assert await stored() == [first]  # the same reference: no write
    assert await post(client, activity(connector, type="installationUpdate", action="remove"))
    assert await stored() == []
    assert await post(client, activity(connector, text="help"))
    assert len(await stored()) == 1  # written again, the chat is reachable once more


async def test_channel_mode_in_teams_posts_to_the_channel_and_the_own_version_goes_private(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services, clock: FakeClock
) -> None:
    """Regression (issue 14 item 8): 'channel #general' was refused and Teams had no channel
    mode; now an admin says 'channel here' in a team channel."""
    await grant(services.db, TENANT, ALEX, Role.ADMIN)
    await join(services.db, TENANT, ALEX, now=clock.now())
    await add_teams_item(services.db, TENANT, "launch", clock.now())
    thread = f"{CHANNEL};messageid=1700000000001"
    channel_data = {"channel": {"id": CHANNEL, "name": "General"}, "team": {"id": "19:team"}}
    said = activity(
        connector,
        conversation=thread,
        kind="channel",
        text="channel here",
        channelData=channel_data,
    )
    assert await post(client, said)
    assert await post(client, activity(connector, text="channel"))
    assert "#General" in texts(connector.posted_to(PERSONAL)[-1])
    assert await post(client, activity(connector, text="send-now"))
    await drain(services, client.app[setup.TEAMS_ADAPTER].outbound, platform="teams")
    (posted,) = connector.posted_to(CHANNEL)
    mine = next(
        e
        for a in posted.body["attachments"]
        for e in elements(a["content"]["body"])
        if e["type"] == "Action.Submit"
    )
    before = len(connector.posted_to(PERSONAL))
    pressed = activity(
        connector, conversation=thread, kind="channel", value=mine["data"], channelData=channel_data
    )
    assert await post(client, pressed)
    note = connector.posted_to(thread)[-1]
    assert "personal chat" in texts(note)
    own = connector.posted_to(PERSONAL)[before:]
    assert any("caption:" in texts(call) for call in own)


async def test_channel_here_in_a_personal_chat_says_where_to_say_it(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services
) -> None:
    await grant(services.db, TENANT, ALEX, Role.ADMIN)
    assert await post(client, activity(connector, text="channel here"))
    assert "in the channel itself" in texts(connector.posted_to(PERSONAL)[-1])


def _share_press(connector: FakeConnector, item: int, *, activity_id: str) -> dict[str, Any]:
    value = {"action": "share.linkedin", "value": f"{item}:dm", f"caption:{item}": "My words"}
    return activity(connector, value=value, activity_id=activity_id, replyToId="act-card")


async def _stored(services: Services, model: Any) -> list[Any]:
    async with services.db.session() as session:
        return list((await session.execute(select(model))).scalars())


async def test_a_share_press_commits_its_once_only_mark_and_its_effect_together_once(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services, clock: FakeClock
) -> None:
    """One transaction for Teams' once-only mark and the share, and a retry has no effect."""
    await post(client, activity(connector, text="help"))  # the chat and the person are known
    await join(services.db, TENANT, ALEX, now=clock.now())
    item = await add_teams_item(services.db, TENANT, "launch", clock.now())
    marks = len(await _stored(services, ProcessedEvent))
    commits = [0]

    def count(_connection: Any) -> None:
        commits[0] += 1

    event.listen(services.db.engine.sync_engine, "commit", count)
    try:
        assert await post(client, _share_press(connector, item, activity_id="press-1"))
    finally:
        event.remove(services.db.engine.sync_engine, "commit", count)
    assert commits == [1]
    assert "My words" in texts(connector.calls[-1])
    assert await post(client, _share_press(connector, item, activity_id="press-1"))
    assert [share.final_caption for share in await _stored(services, Share)] == ["My words"]
    intents = [e for e in await _stored(services, Event) if e.type == "share_intent"]
    assert len(intents) == 1
    assert len(await _stored(services, ProcessedEvent)) == marks + 1


async def test_a_refused_share_press_leaves_no_mark_so_teams_retry_is_answered_again(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services, clock: FakeClock
) -> None:
    await post(client, activity(connector, text="help"))
    await join(services.db, TENANT, ALEX, now=clock.now())
    before = len(await _stored(services, ProcessedEvent))
    for _ in range(2):
        answered = len(connector.calls)
        assert await post(client, _share_press(connector, 999_999, activity_id="press-gone"))
        assert "There is no content item 999999" in texts(connector.calls[-1])
        assert len(connector.calls) == answered + 1
    assert len(await _stored(services, ProcessedEvent)) == before  # the refusal marked nothing
    assert await _stored(services, Share) == []


async def test_a_first_press_from_someone_unknown_asks_teams_for_their_email_first(
    client: TestClient[Any, Any], connector: FakeConnector, services: Services, clock: FakeClock
) -> None:
    item = await add_teams_item(services.db, TENANT, "launch", clock.now())
    assert await post(client, _share_press(connector, item, activity_id="press-new"))
    assert "not taking part yet" in texts(connector.calls[-1])
    [person] = await _stored(services, Person)
    assert person.email == "alex@example.com"  # the org chart can still find them
    assert len(await _stored(services, ProcessedEvent)) == 1


async def test_someone_stored_without_an_email_is_asked_again_later_and_gets_their_org_chart_entry(
    services: Services, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Teams would not tell the e-mail on first contact (the member lookup failed): the person
    is stored without one. A later message asks again, once the retry is due, and the org
    chart's entry for the e-mail (team, role) becomes theirs."""
    alex = connector.members.pop("29:alex")
    app, adapter = local_teams_app(
        services, service_url=connector.service_url, monkeypatch=monkeypatch
    )
    async with TestClient(TestServer(app)) as client:
        assert await post(client, activity(connector, text="hello", activity_id="m-1"))
        [person] = await _stored(services, Person)
        assert person.email is None
        async with services.db.session() as session:
            workspace = await session.get(Workspace, person.workspace_id)
            assert workspace is not None
            csv = "email,name,manager_email,team,roles\nalex@example.com,Alex,,Sales,content\n"
            await import_people(session, workspace_id=workspace.id, rows=parse_people_csv(csv))
        connector.members["29:alex"] = alex
        assert connector.member_lookups == ["29:alex"]
        assert await post(client, activity(connector, text="hello", activity_id="m-2"))
        assert connector.member_lookups == ["29:alex"]  # asked lately: not on every message
        adapter.seen.email_retry_seconds = 0.0
        assert await post(client, activity(connector, text="hello", activity_id="m-3"))
        assert await post(client, activity(connector, text="hello", activity_id="m-4"))
        assert connector.member_lookups == ["29:alex", "29:alex"]  # known now: asked no more
    [person] = await _stored(services, Person)
    assert (person.email, person.team) == ("alex@example.com", "Sales")
    async with services.db.session() as session:
        assert await roles_of(session, person_id=person.id) == {Role.CONTENT}
