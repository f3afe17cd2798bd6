"""Erasure leaves no identifier behind (issue 16.12), and an erased "no" stays no (issue 13.9).

One person gets every kind of data the product holds, on Slack and on Teams: imported from
the org chart, invited, in, networks, chosen topics (one of their own invention), consents,
picks, shares with their own captions, a click, feedback, a suggested page, tips asked for
and passed to their manager (so a planned digest names them), their insight group, a role
given by an admin (audit log), a report of their own, a data export, Teams conversation
references, a connected LinkedIn and Bluesky account (and a connect link not yet used), a
share posted through LinkedIn. After `forget-me` on both platforms, every column of every
table is searched for any of their ids, addresses, names and texts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, text

from bot import lifecycle
from bot.server import create_app
from bot.slack.app import SlackAdapter
from bot.slack.messenger import build_web_client
from content_store import accounts as accounts_store
from content_store.accounts import AccountTokens
from content_store.events import first_delivery
from content_store.models import (
    Base,
    ConnectedAccount,
    ConnectState,
    DoNotInvite,
    Link,
    Person,
    Share,
    Workspace,
)
from content_store.people import IMPORTED_PREFIX, get_or_create_person, get_or_create_workspace
from content_store.teams_conversations import save_conversation
from content_store.token_box import TokenBox
from domain.networks import Network
from domain.programme import Consent, ProgrammeStatus, Role
from handlers import content_library, insights, my_data, programme, sharing, weekly_picks
from handlers.commands import run_command
from handlers.context import Services
from handlers.manager_digest import plan_digests
from handlers.reminders import plan_reminders
from handlers.sharing import ShareRequest
from handlers.tracked_redirect import follow_link
from handlers.types import Actor
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signed import SECRET
from tests.bot.slack.signed import event as _event
from tests.bot.slack.signed import post as _post
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, actor, add_item, grant
from tests.fakes import FakeMessenger

pytestmark = pytest.mark.security

SLACK_ID = "U0ERASE1"
SLACK_ROW = 987_654
TENANT = "7e7e7e7e-0000-4000-8000-00000000e7e7"
AAD_ID = "e1e1e1e1-2222-4333-8444-e1e1e1e1e1e1"
TEAMS_29_ID = "29:1erinTeamsAccountId"
TEAMS_ROW = 987_655
PERSONAL_CHAT = "a:1erinPersonalChatWithTheBot"
EMAIL = "erin.erasable@example.com"
NAME = "Erin Erasable"
TEAM = "Knitting Circle Unit"
TOPIC = "erinsknittingcorner"
SLACK_CAPTION = "Erin's own words about the launch"
TEAMS_CAPTION = "Erin's Teams words about the launch"
SUGGESTED_PATH = "/erins-own-find"
LINKEDIN_SUB = "erinLinkedInMemberSub42"
LINKEDIN_NAME = "Erin E. on LinkedIn"
POST_URN = "urn:li:share:7400000000000000042"
BLUESKY_DID = "did:plc:erinerasablebsky42"
BLUESKY_HANDLE = "erin-erasable.bsky.social"
KEY = b"a server key for tests"
BOX = TokenBox.from_settings(listed="", secret_key=KEY)
PAGE = "<html><head><title>A find</title></head><body>hi</body></html>"

NEEDLES = (
    SLACK_ID,
    str(SLACK_ROW),
    AAD_ID,
    TEAMS_29_ID,
    str(TEAMS_ROW),
    PERSONAL_CHAT,
    EMAIL,
    NAME,
    TEAM,
    TOPIC,
    SLACK_CAPTION,
    TEAMS_CAPTION,
    SUGGESTED_PATH,
    LINKEDIN_SUB,
    LINKEDIN_NAME,
    POST_URN,
    BLUESKY_DID,
    BLUESKY_HANDLE,
)


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get(SUGGESTED_PATH, page)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url(SUGGESTED_PATH))


def _slack_erin() -> Actor:
    return Actor("slack", WORKSPACE, SLACK_ID, email=EMAIL, display_name=NAME, locale="en")


def _teams_erin() -> Actor:
    return Actor("teams", TENANT, AAD_ID, display_name=NAME, locale="en")


async def _people(services: Services) -> None:
    """Erin's rows with ids of their own (so a stray id is found), a manager and a report."""
    async with services.db.session() as session:
        slack = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        teams = await get_or_create_workspace(session, platform="teams", external_id=TENANT)
        boss = await get_or_create_person(session, workspace_id=slack.id, external_id="U-BOSS")
        # As the org-chart import leaves them: found by e-mail at first contact.
        session.add(
            Person(
                id=SLACK_ROW,
                workspace_id=slack.id,
                external_id=f"{IMPORTED_PREFIX}{EMAIL}",
                email=EMAIL,
                display_name=NAME,
                team=TEAM,
                manager_id=boss.id,
            )
        )
        session.add(Person(id=TEAMS_ROW, workspace_id=teams.id, external_id=AAD_ID))
        await session.flush()
        report = await get_or_create_person(session, workspace_id=slack.id, external_id="U-REP")
        report.manager_id = SLACK_ROW


async def _everything_on_slack(services: Services, clock: FakeClock, page_url: str) -> None:
    erin = _slack_erin()
    items = [
        await add_item(services.db, slug=f"s{n}", topics=("product",), now=clock.now())
        for n in range(4)
    ]
    await programme.welcome(services, erin)
    await programme.answer_invitation(services, erin, "in")
    await programme.set_networks(services, erin, ["x", "linkedin"])
    await programme.set_topics(services, erin, [f"#{TOPIC}", "#product"])
    await programme.set_consent(services, erin, Consent.SPOTLIGHT, given=True)
    await weekly_picks.show_picks(services, erin, source="now")
    await sharing.share(services, erin, ShareRequest(items[0], Network.X, SLACK_CAPTION))
    await sharing.confirm(services, erin, content_id=items[0], network=Network.X)
    await sharing.share(services, erin, ShareRequest(items[2], Network.LINKEDIN, "On LinkedIn"))
    await _connect(services, clock, SLACK_ROW, Network.LINKEDIN, LINKEDIN_SUB, LINKEDIN_NAME)
    async with services.db.session() as session:
        share = (
            await session.execute(select(Share).filter_by(person_id=SLACK_ROW, content_id=items[2]))
        ).scalar_one()
        await accounts_store.mark_posted(session, share_id=share.id, ref=POST_URN, now=clock.now())
    await sharing.give_feedback(services, erin, content_id=items[1], kind="not_for_me")
    await _click_their_link(services)
    await content_library.suggest(services, erin, page_url)
    await insights.tips(services, erin)
    await insights.tell_manager(services, erin)
    await my_data.export_my_data(services, erin)
    await grant(services.db, "U-ADMIN", Role.ADMIN)
    admin = actor("U-ADMIN")
    await run_command(services, admin, f"role <@{SLACK_ID}> content", messenger=FakeMessenger())
    await insights.refresh(services, admin)
    async with services.db.session() as session:
        workspace = (
            await session.execute(select(Workspace).filter_by(platform="slack"))
        ).scalar_one()
    clock.advance(days=1)
    assert await plan_digests(services, workspace=workspace, occurrence=clock.now()) >= 1


async def _click_their_link(services: Services) -> None:
    async with services.db.session() as session:
        code = await session.scalar(select(Link.code).where(Link.person_id == SLACK_ROW))
    assert code is not None
    referrer = "https://www.linkedin.com/feed/"
    assert await follow_link(services, code=code, user_agent="Mozilla/5.0", referrer=referrer)


async def _everything_on_teams(services: Services, clock: FakeClock) -> None:
    erin = _teams_erin()
    reference = {
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "channelId": "msteams",
        "user": {"id": TEAMS_29_ID, "aadObjectId": AAD_ID},
        "bot": {"id": "28:bot"},
    }
    async with services.db.session() as session:
        teams = (await session.execute(select(Workspace).filter_by(platform="teams"))).scalar_one()
        for conversation, kind in ((PERSONAL_CHAT, "personal"), ("19:general@thread", "channel")):
            await save_conversation(
                session,
                workspace_id=teams.id,
                conversation_id=conversation,
                kind=kind,
                user_id=AAD_ID if kind == "personal" else "",
                reference={**reference, "conversation": {"id": conversation}},
                now=clock.now(),
            )
        await first_delivery(
            session, platform="teams", event_id=f"welcome:{TEAMS_ROW}", now=clock.now()
        )
    item = await _teams_item(services, clock)
    await programme.welcome(services, erin)
    await programme.answer_invitation(services, erin, "in")
    await programme.set_networks(services, erin, ["bluesky"])
    await sharing.share(services, erin, ShareRequest(item, Network.BLUESKY, TEAMS_CAPTION))
    await _connect(services, clock, TEAMS_ROW, Network.BLUESKY, BLUESKY_DID, BLUESKY_HANDLE)


async def _connect(
    services: Services, clock: FakeClock, person_id: int, network: Network, sub: str, name: str
) -> None:
    """A connected account as the connect flow stores it, and a connect link left unused."""
    tokens = AccountTokens(
        person_id=person_id,
        network=network,
        external_id=sub,
        display_name=name,
        access_token=f"access-{sub}",
        refresh_token=f"refresh-{sub}",
        expires_at=clock.now() + timedelta(days=60),
    )
    async with services.db.session() as session:
        await accounts_store.save_account(session, box=BOX, tokens=tokens, now=clock.now())
        await accounts_store.new_connect_state(
            session, person_id=person_id, network=network, now=clock.now()
        )


async def _teams_item(services: Services, clock: FakeClock) -> int:
    from content_store.content import NewContent, add_content

    async with services.db.session() as session:
        teams = (await session.execute(select(Workspace).filter_by(platform="teams"))).scalar_one()
        new = NewContent(
            canonical_url="https://news.example.com/teams-story",
            title="Teams story",
            description="",
            publish_from=clock.now() - timedelta(days=1),
        )
        return (await add_content(session, workspace_id=teams.id, new=new, now=clock.now())).id


async def _found_anywhere(services: Services) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every needle in any column of any row (JSON included)."""
    found = []
    async with services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            for row in rows:
                for column, value in row.items():
                    shown = _as_text(value)
                    found += [(table.name, column, n) for n in NEEDLES if n in shown]
    return found


def _as_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


async def test_erasure_leaves_no_identifier_or_text_in_any_table(
    services: Services, clock: FakeClock, site: str
) -> None:
    await _people(services)
    await _everything_on_slack(services, clock, site)
    await _everything_on_teams(services, clock)
    before = await _found_anywhere(services)
    # The scan sees what it looks for: every needle is stored somewhere before erasure.
    assert {needle for _, _, needle in before} == set(NEEDLES)
    await my_data.forget_me(services, _slack_erin())
    await my_data.forget_me(services, _teams_erin())
    assert await _found_anywhere(services) == []
    async with services.db.session() as session:
        assert len((await session.execute(select(DoNotInvite))).all()) == 2
        # No token, sealed or not, and no connect link is left.
        assert (await session.execute(select(ConnectedAccount))).first() is None
        assert (await session.execute(select(ConnectState))).first() is None
        # Anonymous totals stay: the shares and the click are still counted.
        assert await session.scalar(text("SELECT count(*) FROM shares")) == 3
        assert await session.scalar(text("SELECT count(*) FROM clicks")) == 1


async def test_the_managers_digest_no_longer_mentions_them(
    services: Services, clock: FakeClock, site: str
) -> None:
    await _people(services)
    await _everything_on_slack(services, clock, site)
    await my_data.forget_me(services, _slack_erin())
    async with services.db.session() as session:
        payloads = (await session.execute(text("SELECT payload FROM manager_digests"))).scalars()
        stored = [p if isinstance(p, dict) else json.loads(p) for p in payloads]
    assert stored
    assert all(d["asked_for_tips"] == [] and d["suggestion"] != "tips" for d in stored)


# ---------------------------------------------------------------- an erased "no" stays no


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=WORKSPACE) as fake:
        fake.add_user("U1", locale="en-US", tz="Europe/Amsterdam")
        yield fake


@pytest.fixture
async def app_client(
    services: Services, slack: FakeSlack
) -> AsyncIterator[tuple[TestClient[Any, Any], lifecycle.InFlight]]:
    keyed = dataclasses.replace(services, secret_key=KEY)
    adapter = SlackAdapter(
        services=keyed,
        client=build_web_client(token="xoxb-test", base_url=slack.base_url, max_retries=0),
        signing_secret=SECRET,
    )
    app = create_app(keyed)
    app.router.add_post("/slack/events", adapter.handle)
    in_flight = lifecycle.attach(app)
    async with TestClient(TestServer(app)) as client:
        yield client, in_flight


async def _open_home(
    client: TestClient[Any, Any], in_flight: lifecycle.InFlight, event_id: str
) -> None:
    home_opened = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    assert await _post(client, _event(home_opened, event_id), "application/json") == 200
    assert await in_flight.drain(seconds=30) == 0  # every listener has finished


def _welcomes(slack: FakeSlack) -> int:
    return sum("voluntary" in json.dumps(c.args) for c in slack.calls_to("chat.postMessage"))


@pytest.mark.parametrize("answer", ["no", "in", None])
async def test_after_erasure_no_welcome_and_no_reminder_comes_unasked(
    app_client: tuple[TestClient[Any, Any], lifecycle.InFlight],
    slack: FakeSlack,
    services: Services,
    clock: FakeClock,
    answer: str | None,
) -> None:
    client, in_flight = app_client
    keyed = dataclasses.replace(services, secret_key=KEY)
    await _open_home(client, in_flight, "Ev1")
    assert _welcomes(slack) == 1
    if answer is not None:
        await programme.answer_invitation(keyed, actor("U1"), answer)
    await my_data.forget_me(keyed, actor("U1"))
    await _open_home(client, in_flight, "Ev2")
    assert _welcomes(slack) == 1
    async with services.db.session() as session:
        workspace = (await session.execute(select(Workspace))).scalar_one()
        person = (await session.execute(select(Person))).scalar_one()
    assert person.status is ProgrammeStatus.NOT_ASKED
    clock.advance(days=30)
    assert await plan_reminders(keyed, workspace=workspace, occurrence=clock.now()) == 0
    # Still voluntary both ways: they can join on their own.
    await programme.answer_invitation(keyed, actor("U1"), "in")
    async with services.db.session() as session:
        person = (await session.execute(select(Person))).scalar_one()
    assert person.status is ProgrammeStatus.IN
