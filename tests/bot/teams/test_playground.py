"""The Teams bot end to end through Microsoft 365 Agents Playground, Microsoft's local Teams.

pytest starts the Playground (pinned in package.json) and the bot on free ports; the tests act
as the Playground's user and read what it shows. Without node and `npm ci` they are skipped,
except under CI=true, where they must run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.teams.app import TeamsAdapter
from bot.teams.cloud import playground_service_url
from content_store.models import Person, Share, TeamsConversation
from content_store.people import IMPORTED_PREFIX, get_or_create_person, get_or_create_workspace
from domain.programme import ProgrammeStatus, Role
from handlers.context import Services
from handlers.deliveries import deliver_to
from handlers.types import Actor
from tests.bot.teams.cards import assert_valid_cards
from tests.bot.teams.factories import add_teams_item, grant, join
from tests.bot.teams.fake_connector import free_port
from tests.bot.teams.local_app import local_teams_app
from tests.bot.teams.playground import Playground, Shown, playground_process
from tests.bot.teams.test_render import elements
from tests.conftest import FakeClock

# Under pytest-xdist every test that starts Microsoft's Playground (a Node process) or Chromium
# runs on one worker, one at a time: they would compete for the cores their timeouts assume.
pytestmark = pytest.mark.xdist_group("playground")

BOT_PORT = free_port()


@pytest.fixture(scope="module")
def playground_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    bot_url = f"http://127.0.0.1:{BOT_PORT}/api/messages"
    workdir: Path = tmp_path_factory.mktemp("playground")
    with playground_process(port=free_port(), bot_url=bot_url, workdir=workdir) as url:
        yield url


@pytest.fixture
async def bot(
    services: Services, monkeypatch: pytest.MonkeyPatch, playground_url: str
) -> AsyncIterator[TeamsAdapter]:
    app, adapter = local_teams_app(
        services,
        service_url=playground_service_url(urlsplit(playground_url).port or 0),
        monkeypatch=monkeypatch,
    )
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", BOT_PORT).start()
    yield adapter
    await runner.cleanup()


@pytest.fixture
async def playground(bot: TeamsAdapter, playground_url: str) -> AsyncIterator[Playground]:
    async with aiohttp.ClientSession() as session:
        client = Playground(playground_url, session)
        await client.start()
        yield client
        await client.stop()
        # Every card the bot showed in the test is valid for Microsoft's own library.
        assert_valid_cards([card for shown in client.shown for card in shown.cards])


def created(shown: list[Shown], needle: str) -> Shown | None:
    return next((s for s in shown if s.action == "createMessage" and needle in s.dump), None)


def updated(shown: list[Shown], message_id: str) -> Shown | None:
    return next(
        (s for s in shown if s.action == "updateMessage" and s.message_id == message_id), None
    )


def pick_cards(shown: list[Shown]) -> list[Shown]:
    return [
        s
        for s in shown
        if s.action == "createMessage"
        and any(e["type"] == "Input.Text" for c in s.cards for e in elements(c["body"]))
    ]


def submit_data(message: Shown, action: str) -> dict[str, Any]:
    """The data of the card's Action.Submit button for `action`."""
    for card in message.cards:
        for element in elements(card["body"]):
            data = element.get("data")
            if element["type"] == "Action.Submit" and data and data["action"] == action:
                return dict(data)
    raise AssertionError(f"no {action} button in {message.dump[:500]}")


async def imported(services: Services, tenant: str, email: str, *, team: str) -> None:
    """Someone from the org chart, known by e-mail before they ever used Teams."""
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="teams", external_id=tenant)
        person = await get_or_create_person(
            session, workspace_id=workspace.id, external_id=f"{IMPORTED_PREFIX}{email}"
        )
        person.email, person.team = email, team


async def person_of(services: Services, playground: Playground) -> Person:
    async with services.db.session() as session:
        query = select(Person).filter_by(external_id=playground.user["aadObjectId"])
        return (await session.execute(query)).scalar_one()


async def test_install_welcome_opt_in_picks_edit_share_and_confirm(
    playground: Playground, services: Services, clock: FakeClock
) -> None:
    for n in range(4):
        await add_teams_item(services.db, playground.tenant_id, f"launch-{n}", clock.now())
    await imported(services, playground.tenant_id, playground.user["email"], team="Sales")
    mark = playground.mark()
    await playground.install(playground.personal_chat)
    welcome = await playground.wait(lambda s: created(s[mark:], "voluntary"))
    assert welcome.conversation_id == playground.personal_chat

    await playground.press(welcome, submit_data(welcome, "programme.answer") | {"value": "in"})
    choose = await playground.wait(lambda s: updated(s, welcome.message_id))
    assert "Networks you use" in choose.dump
    person = await person_of(services, playground)
    assert person.status is ProgrammeStatus.IN
    # Teams' member profile gave the e-mail that linked the person imported from the org chart.
    assert (person.timezone, person.team) == ("Europe/Amsterdam", "Sales")

    mark = playground.mark()
    await playground.press(
        choose, submit_data(choose, "prefs.save") | {"prefs.networks": "linkedin,x"}
    )
    await playground.wait(lambda s: created(s[mark:], "LinkedIn, X"))

    mark = playground.mark()
    await playground.say(playground.personal_chat, "picks")
    cards = await playground.wait(lambda s: len(pick_cards(s[mark:])) == 3 and pick_cards(s[mark:]))
    card = cards[0]
    share = submit_data(card, "share.linkedin")
    content_id = int(share["value"].split(":")[0])
    await playground.press(card, share | {f"caption:{content_id}": "In my own words!"})

    ready = await playground.wait(lambda s: updated(s, card.message_id))
    assert "In my own words!" in ready.dump
    (opener,) = [
        e for c in ready.cards for e in elements(c["body"]) if e["type"] == "Action.OpenUrl"
    ]
    tracked = parse_qs(urlsplit(opener["url"]).query)["url"][0]
    assert tracked.startswith("https://boost.example.org/r/")
    async with services.db.session() as session:
        record = (await session.execute(select(Share))).scalar_one()
    assert (record.content_id, record.final_caption) == (content_id, "In my own words!")

    await playground.press(ready, submit_data(ready, "share.confirm"))
    await playground.wait(
        lambda s: [
            u for u in s if u.message_id == card.message_id and "thank you for sharing" in u.dump
        ]
    )
    async with services.db.session() as session:
        record = (await session.execute(select(Share))).scalar_one()
    assert record.confirmed_at is not None


async def test_weekly_picks_reach_the_personal_chat_proactively(
    playground: Playground, bot: TeamsAdapter, services: Services, clock: FakeClock
) -> None:
    for n in range(3):
        await add_teams_item(services.db, playground.tenant_id, f"weekly-{n}", clock.now())
    mark = playground.mark()
    await playground.install(playground.personal_chat)
    await playground.wait(lambda s: created(s[mark:], "voluntary"))
    async with services.db.session() as session:
        stored = (await session.execute(select(TeamsConversation))).scalars().all()
    assert [(row.conversation_id, row.kind) for row in stored] == [
        (playground.personal_chat, "personal")
    ]
    user = playground.user["aadObjectId"]
    await join(services.db, playground.tenant_id, user, now=clock.now())

    mark = playground.mark()
    actor = Actor("teams", playground.tenant_id, user)
    assert await deliver_to(services, bot.messenger, actor)
    cards = await playground.wait(lambda s: len(pick_cards(s[mark:])) == 3 and pick_cards(s[mark:]))
    assert {card.conversation_id for card in cards} == {playground.personal_chat}
    assert created(playground.since(mark), "Your picks this week") is not None


async def test_a_content_team_command_is_refused_without_the_role_and_run_with_it(
    playground: Playground, services: Services, clock: FakeClock
) -> None:
    await add_teams_item(services.db, playground.tenant_id, "library-item", clock.now())
    mark = playground.mark()
    await playground.say(playground.personal_chat, "list")
    refused = await playground.wait(lambda s: created(s[mark:], "content role"))
    assert "Story library-item" not in refused.dump

    await grant(services.db, playground.tenant_id, playground.user["aadObjectId"], Role.CONTENT)
    mark = playground.mark()
    await playground.say(playground.personal_chat, "list")
    await playground.wait(lambda s: created(s[mark:], "Story library-item"))
