"""The role matrix on both platforms: every privileged command, typed by each role, through the
real adapters (a signed Slack slash command over HTTP; a Teams message through the Agents SDK)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from content_store.models import AuditEntry
from domain.programme import Role
from handlers.commands import COMMANDS as REGISTRY
from handlers.context import Services
from messages import translate
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_slack_app import slash, until
from tests.bot.teams import factories as teams_factories
from tests.bot.teams.fake_connector import FakeConnector
from tests.bot.teams.local_app import local_teams_app
from tests.bot.teams.test_app import ALEX, MEGAN, PERSONAL, TENANT, activity, post
from tests.conftest import FakeClock
from tests.factories import add_item, grant

pytestmark = pytest.mark.security

REFUSAL = translate("error.role.missing", "en", role="@@").split("@@")[0]  # "Only people with the "
ROLES: dict[str, tuple[Role, ...]] = {
    "employee": (),
    "manager": (Role.MANAGER,),
    "content": (Role.CONTENT,),
    "admin": (Role.ADMIN,),
}
# Every privileged command with arguments that parse; {who} is the platform's mention.
COMMANDS = {
    "add": "add http://127.0.0.1:9/page",
    "list": "list",
    "edit": "edit 1 priority 2",
    "retire": "retire 1",
    "approve": "approve 1",
    "reject": "reject 1",
    "pause programme": "pause programme",
    "resume programme": "resume programme",
    "stats": "stats 1",
    "export": "export content",
    "send-now": "send-now",
    "role": "role {who} content",
    "guidelines": "guidelines Be kind",
    "disclosure": "disclosure (I work here)",
    "channel": "channel {channel}",
    "schedule": "schedule picks mon 10:00",
    "self-driven": "self-driven",
    "needs-help": "needs-help",
    "insights refresh": "insights refresh",
    "mark": "mark {who} ambassador",
    "nudge log": "nudge log everyone 2026-11-16",
}
EXTRA = {
    "export people": ("export people", Role.ADMIN),
}
PRIVILEGED = {spec.name: spec for spec in REGISTRY if spec.audience.role is not None}


def test_the_matrix_covers_every_privileged_command() -> None:
    assert set(COMMANDS) == set(PRIVILEGED)


def _needed(name: str) -> Role:
    role = PRIVILEGED[name].audience.role
    assert role is not None
    return role


def _allowed(role: str, needed: Role) -> bool:
    held = set(ROLES[role])
    return Role.ADMIN in held or needed in held


CASES = [(role, name, text, _needed(name)) for role in ROLES for name, text in COMMANDS.items()] + [
    (role, name, text, needed) for role in ROLES for name, (text, needed) in EXTRA.items()
]


async def _audits(services: Services) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


# ---------------------------------------------------------------- Slack


@pytest.mark.parametrize(("role", "name", "text", "needed"), CASES)
async def test_slack_slash_commands_follow_the_matrix(
    client: TestClient[Any, Any],
    slack: FakeSlack,
    services: Services,
    clock: FakeClock,
    role: str,
    name: str,
    text: str,
    needed: Role,
) -> None:
    await grant(services.db, "U1", *ROLES[role])
    await add_item(services.db, slug="a", now=clock.now())
    typed = text.format(who="<@U2|bo>", channel="<#C0BOOST|boost>")
    await slash(client, slack, typed, name="cmd")
    shown = json.dumps(await until(lambda: slack.responses("cmd")))
    refused = REFUSAL in shown
    assert refused is not _allowed(role, needed), shown[:300]
    if refused:
        assert await _audits(services) == 0


# ---------------------------------------------------------------- Teams


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        fake.members["29:alex"] = {"id": "29:alex", "aadObjectId": ALEX, "email": "a@x.example"}
        fake.members["29:megan"] = {"id": "29:megan", "name": "Megan", "aadObjectId": MEGAN}
        yield fake


@pytest.fixture
async def teams(
    services: Services, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient[Any, Any]]:
    app, _ = local_teams_app(services, service_url=connector.service_url, monkeypatch=monkeypatch)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize(("role", "name", "text", "needed"), CASES)
async def test_teams_messages_follow_the_matrix(
    teams: TestClient[Any, Any],
    connector: FakeConnector,
    services: Services,
    clock: FakeClock,
    role: str,
    name: str,
    text: str,
    needed: Role,
) -> None:
    await teams_factories.grant(services.db, TENANT, ALEX, *ROLES[role])
    await teams_factories.add_teams_item(services.db, TENANT, "a", clock.now())
    assert await post(teams, activity(connector, text="help"))  # the welcome comes first
    before = len(connector.posted_to(PERSONAL))
    mention = {"type": "mention", "text": "<at>Megan</at>", "mentioned": {"id": "29:megan"}}
    typed = text.format(who="<at>Megan</at>", channel="none")
    assert await post(teams, activity(connector, text=typed, entities=[mention]))
    answers = connector.posted_to(PERSONAL)[before:]
    assert answers, f"no answer to {typed!r}"
    shown = json.dumps([call.body for call in answers], ensure_ascii=False)
    refused = REFUSAL in shown
    assert refused is not _allowed(role, needed), shown[:300]
    if refused:
        assert await _audits(services) == 0
