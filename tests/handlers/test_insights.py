"""Insights through the commands: your own group, the content team's lists, tips for anyone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from content_store.models import Event, PersonInsight
from domain.errors import InvalidInput
from domain.events import EventType
from domain.programme import Role
from handlers import insights, programme
from handlers.commands import parse_command, run_command
from handlers.context import Services
from handlers.types import Actions, Actor, Reply
from tests.conftest import FakeClock
from tests.factories import actor, grant
from tests.fakes import FakeMessenger


def _text(reply: Reply) -> str:
    return "\n".join(getattr(block, "text", "") for block in reply.blocks)


async def _run(services: Services, user: str, text: str) -> Reply:
    outcome = await run_command(services, actor(user), text, messenger=FakeMessenger())
    assert isinstance(outcome, Reply)
    return outcome


async def _events(services: Services, kind: EventType) -> list[Event]:
    async with services.db.session() as session:
        query = select(Event).where(Event.type == kind.value).order_by(Event.id)
        return list((await session.execute(query)).scalars())


@pytest.mark.parametrize("command", ["self-driven", "needs-help", "insights refresh"])
async def test_the_lists_and_refresh_are_for_the_content_team_only(
    services: Services, command: str
) -> None:
    await grant(services.db, "UMANAGER", Role.MANAGER)
    for user in ("U1", "UMANAGER"):
        with pytest.raises(InvalidInput) as refused:
            await _run(services, user, command)
        assert refused.value.code == "role.missing"
    await grant(services.db, "UCONTENT", Role.CONTENT)
    await grant(services.db, "UADMIN", Role.ADMIN)
    for user in ("UCONTENT", "UADMIN"):
        assert _text(await _run(services, user, command))


async def test_a_person_sees_their_own_group_and_why(services: Services, clock: FakeClock) -> None:
    assert "haven't looked" in _text(await _run(services, "U1", "insights"))
    await programme.welcome(services, actor("U1"))
    await programme.answer_invitation(services, actor("U1"), "in")
    await insights.tips(services, actor("U1"))
    await grant(services.db, "UCONTENT", Role.CONTENT)
    refreshed = _text(await _run(services, "UCONTENT", "insights refresh"))
    assert "1 willing" in refreshed
    own = _text(await _run(services, "U1", "insights"))
    assert "willing to share" in own
    assert "You joined on your own" in own and "You asked for tips once." in own


async def test_the_own_view_speaks_the_persons_language(services: Services) -> None:
    await programme.answer_invitation(services, actor("U1", locale="nl"), "no")
    await insights.regroup_workspace(services, workspace_id=1)
    reply = await insights.own_insight(services, actor("U1", locale="nl"))
    assert "niet echt iets voor jou" in _text(reply)
    assert "nee bedankt" in _text(reply)


async def test_the_lists_name_the_people_of_one_group(services: Services) -> None:
    for user in ("U1", "U2"):
        await programme.answer_invitation(services, actor(user), "in")
    await programme.answer_invitation(services, actor("U3"), "no")
    await grant(services.db, "UCONTENT", Role.CONTENT)
    await _run(services, "UCONTENT", "insights refresh")
    needs_help = _text(await _run(services, "UCONTENT", "needs-help"))
    assert "(2)" in needs_help and "U1" in needs_help and "U3" not in needs_help
    assert "Nobody yet" in _text(await _run(services, "UCONTENT", "self-driven"))


async def test_tips_record_help_asked_and_the_button_shares_it_with_the_manager(
    services: Services,
) -> None:
    reply = await _run(services, "U1", "tips")
    buttons = [b for block in reply.blocks if isinstance(block, Actions) for b in block.buttons]
    assert [b.action_id for b in buttons] == ["tips.manager"]
    await insights.tell_manager(services, actor("U1"))
    asked = await _events(services, EventType.HELP_ASKED)
    assert [e.payload for e in asked] == [
        {"share_with_manager": False},
        {"share_with_manager": True},
    ]


async def test_regroup_all_covers_every_workspace_and_replaces_old_groups(
    services: Services,
) -> None:
    await programme.answer_invitation(services, actor("U1"), "no")
    other = Actor("slack", "T-OTHER", "U9")
    await programme.answer_invitation(services, other, "in")
    assert await insights.regroup_all(services) == 2
    await programme.answer_invitation(services, actor("U1"), "in")
    await insights.regroup_all(services)
    async with services.db.session() as session:
        rows = (await session.execute(select(PersonInsight))).scalars().all()
    assert sorted(r.group for r in rows) == ["needs_help", "needs_help"]


def test_insights_takes_only_refresh() -> None:
    assert parse_command("insights").name == "insights"
    assert parse_command("insights refresh").name == "insights refresh"
    with pytest.raises(InvalidInput) as refused:
        parse_command("insights everyone")
    assert refused.value.code == "command.extra"


async def test_help_lists_the_new_commands_by_role(services: Services) -> None:
    everyone = _text(await run_command(services, actor("U1"), "help", messenger=FakeMessenger()))
    assert "/boost insights" in everyone and "/boost tips" in everyone
    assert "self-driven" not in everyone
    await grant(services.db, "UCONTENT", Role.CONTENT)
    team = _text(await run_command(services, actor("UCONTENT"), "help", messenger=FakeMessenger()))
    assert "/boost self-driven" in team and "/boost needs-help" in team
