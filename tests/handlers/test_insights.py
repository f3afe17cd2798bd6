"""Insights through the commands: your own group, the content team's lists, tips for anyone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from content_store.analytics.insights import content_team_marks, workspace_signals
from content_store.models import Event, Person, PersonInsight
from domain.errors import InvalidInput
from domain.events import EventType
from domain.programme import Role
from handlers import insights, programme
from handlers.commands import parse_command, run_command
from handlers.context import Services
from handlers.types import Actions, Actor, Reply
from insights.grouping import Mark
from insights.signals import Timing
from offload import worker
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


async def _give_manager(services: Services, user: str, manager: str) -> None:
    await programme.answer_invitation(services, actor(manager), "later")
    await programme.answer_invitation(services, actor(user), "in")
    async with services.db.session() as session:
        people = {p.external_id: p for p in (await session.execute(select(Person))).scalars()}
        people[user].manager_id = people[manager].id


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
    # Too early to say: the person reads "not sure yet", and the facts for and against.
    assert "not sure yet" in own
    assert "What points to sharing on your own:\n• You joined on your own" in own
    assert "What points the other way:\n• You asked for tips yourself recently (once in all" in own


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
    await _give_manager(services, "U1", "UBOSS")
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


async def test_regrouping_places_people_in_the_cpu_worker_not_on_the_event_loop(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []
    real = worker.run_bounded

    async def watched(function: Any, /, *args: Any, seconds: float, **kwargs: Any) -> Any:
        ran.append(f"{function.__module__}.{function.__name__}")
        return await real(function, *args, seconds=seconds, **kwargs)

    monkeypatch.setattr(insights, "run_bounded", watched)
    await programme.answer_invitation(services, actor("U1"), "in")
    placements = list(await insights.regroup_workspace(services, workspace_id=1))
    assert ran == ["insights.rows.regroup_rows"]
    assert [p.group.value for p in placements] == ["needs_help"]


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


async def test_without_a_manager_the_manager_button_says_the_truth_and_offers_the_content_team(
    services: Services, clock: FakeClock
) -> None:
    """Issue 14 item 6: nobody is told 'your manager will see' when there is no manager."""
    await programme.answer_invitation(services, actor("U1"), "in")
    await insights.tips(services, actor("U1"))
    answer = await insights.tell_manager(services, actor("U1"))
    said = _text(answer)
    assert "your manager will see" not in said and "no manager on record" in said
    buttons = [b for block in answer.blocks if isinstance(block, Actions) for b in block.buttons]
    assert [b.action_id for b in buttons] == ["tips.content_team"]
    # Nothing was recorded as shared with a manager.
    assert [e.payload for e in await _events(services, EventType.HELP_ASKED)] == [
        {"share_with_manager": False}
    ]
    done = _text(await insights.tell_content_team(services, actor("U1")))
    assert "the content team will see" in done
    assert (await _events(services, EventType.HELP_ASKED))[-1].payload == {
        "share_with_manager": False,
        "share_with_content_team": True,
    }
    # ...and the content team's list says so next to the name.
    await grant(services.db, "UCONTENT", Role.CONTENT)
    await _run(services, "UCONTENT", "insights refresh")
    listed = _text(await _run(services, "UCONTENT", "needs-help"))
    assert "U1" in listed and "asked you for help" in listed


async def test_with_a_manager_the_manager_button_tells_the_manager(services: Services) -> None:
    await programme.answer_invitation(services, actor("U1"), "in")
    await _give_manager(services, "U1", "UBOSS")
    said = _text(await insights.tell_manager(services, actor("U1")))
    assert "your manager will see" in said
    assert [e.payload for e in await _events(services, EventType.HELP_ASKED)] == [
        {"share_with_manager": True}
    ]


async def test_the_content_team_logs_a_push_from_outside_the_bot_for_a_team(
    services: Services, clock: FakeClock
) -> None:
    for user in ("U1", "U2", "U3"):
        await programme.answer_invitation(services, actor(user), "in")
    async with services.db.session() as session:
        people = {p.external_id: p for p in (await session.execute(select(Person))).scalars()}
        people["U1"].team, people["U2"].team, people["U3"].team = "Sales", "sales", "Support"
    await grant(services.db, "UMANAGER", Role.MANAGER)
    with pytest.raises(InvalidInput) as refused:
        await _run(services, "UMANAGER", "nudge log Sales 2026-11-16")
    assert refused.value.code == "role.missing"
    await grant(services.db, "UCONTENT", Role.CONTENT)
    said = _text(await _run(services, "UCONTENT", "nudge log Sales 2026-11-16"))
    assert "2 people (Sales) on 16 November 2026" in said
    logged = await _events(services, EventType.NUDGED_ELSEWHERE)
    assert len(logged) == 2 and {e.created_at.hour for e in logged} == {0}
    assert "Nobody" in _text(await _run(services, "UCONTENT", "nudge log Marketing 2026-11-16"))
    with pytest.raises(InvalidInput) as too_early:
        await _run(services, "UCONTENT", "nudge log Sales 2025-01-01")
    assert too_early.value.code == "insights.nudge_day"
    # A team name of several words, and everyone in the programme.
    assert parse_command("nudge log Customer Success 2026-11-16").text == "Customer Success"
    assert "3 people" in _text(await _run(services, "UCONTENT", "nudge log everyone 2026-11-16"))


async def test_marks_anchor_the_grouping_and_only_the_content_team_sets_them(
    services: Services,
) -> None:
    await programme.answer_invitation(services, actor("U1"), "in")
    await grant(services.db, "UMANAGER", Role.MANAGER)
    with pytest.raises(InvalidInput) as refused:
        await _run(services, "UMANAGER", "mark <@U1> ambassador")
    assert refused.value.code == "role.missing"
    await grant(services.db, "UCONTENT", Role.CONTENT)
    assert "ambassador" in _text(await _run(services, "UCONTENT", "mark <@U1> ambassador"))
    with pytest.raises(InvalidInput) as wrong:
        await _run(services, "UCONTENT", "mark <@U1> hero")
    assert wrong.value.code == "command.mark"
    with pytest.raises(InvalidInput) as unknown:
        await _run(services, "UCONTENT", "mark <@U9> help")
    assert unknown.value.code == "insights.mark_unknown"
    async with services.db.session() as session:
        marks = await content_team_marks(session, workspace_id=1)
    assert list(marks.values()) == [Mark.AMBASSADOR]
    await _run(services, "UCONTENT", "mark <@U1> none")
    async with services.db.session() as session:
        assert await content_team_marks(session, workspace_id=1) == {}
    # The person's own view never mentions a mark.
    await insights.regroup_workspace(services, workspace_id=1)
    assert "ambassador" not in _text(await insights.own_insight(services, actor("U1")))


async def test_accepting_the_bots_own_offer_of_tips_never_counts_against_anyone(
    services: Services,
) -> None:
    await programme.answer_invitation(services, actor("U1"), "in")
    await insights.tips(services, actor("U1"), offered=True)
    async with services.db.session() as session:
        (signals,) = [
            s
            for s in await workspace_signals(
                session, workspace_id=1, now=services.clock.now(), timing=Timing()
            )
            if s.help_asked or s.status == "in"
        ]
    assert signals.help_asked == 0 and signals.help_recent == 0.0
    offered = (await _events(services, EventType.HELP_ASKED))[0]
    assert offered.payload == {"share_with_manager": False, "offered": True}
