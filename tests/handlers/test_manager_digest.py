"""The manager digest: figures on a known week, privacy rules, the chart, once per week."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.settings import Settings
from content_store.database import Database
from content_store.events import record_event
from content_store.models import Person, StoredDigest
from content_store.people import get_or_create_person, get_or_create_workspace
from content_store.privacy import purge_expired_detail
from content_store.sharing import ShareIntent, link_for, record_share_intent
from domain.events import EventType
from domain.networks import Network
from domain.programme import ProgrammeStatus
from domain.schedules import ScheduleKind
from handlers.context import Services
from handlers.deliveries import Outcome
from handlers.manager_digest import (
    ManagerDigest,
    Names,
    build_digests,
    digest_chart,
    digest_reply,
    names_for,
    plan_digests,
)
from handlers.types import Reply, Text
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, add_item
from tests.fakes import FakeMessenger, drain

WEEK = timedelta(days=7)


@dataclass
class Org:
    """The known dataset: ids of the people and items the tests talk about."""

    workspace_id: int
    people: dict[str, int]
    items: dict[str, int]
    week_start: datetime


async def _person(
    db: Database,
    user: str,
    *,
    manager: int | None = None,
    status: ProgrammeStatus = ProgrammeStatus.IN,
    spotlight: bool = False,
) -> int:
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        person = await get_or_create_person(session, workspace_id=ws.id, external_id=user)
        person.display_name = f"Name-{user}"
        person.manager_id, person.status, person.consent_spotlight = manager, status, spotlight
        return person.id


async def _event(
    db: Database,
    org: Org,
    kind: EventType,
    user: str,
    *,
    at: datetime,
    item: str | None = None,
    payload: dict[str, object] | None = None,
) -> None:
    async with db.session() as session:
        await record_event(
            session,
            workspace_id=org.workspace_id,
            person_id=org.people[user],
            content_id=org.items[item] if item else None,
            type=kind,
            payload=payload,
            at=at,
        )


async def _org(db: Database, clock: FakeClock) -> Org:
    """Boss: six reports (five in the programme). Small: three reports, all in."""
    boss = await _person(db, "UBOSS", status=ProgrammeStatus.NOT_ASKED)
    small = await _person(db, "USMALL", status=ProgrammeStatus.NOT_ASKED)
    people = {"UBOSS": boss, "USMALL": small}
    for n in range(1, 6):
        people[f"UR{n}"] = await _person(db, f"UR{n}", manager=boss, spotlight=n in (1, 3))
    people["UR6"] = await _person(db, "UR6", manager=boss, status=ProgrammeStatus.NO)
    for n in range(7, 10):
        people[f"UR{n}"] = await _person(db, f"UR{n}", manager=small, spotlight=True)
    items = {slug: await add_item(db, slug=slug, now=clock.now()) for slug in ("a", "b", "c")}
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
    org = Org(ws.id, people, items, clock.now() - WEEK)
    await _week(db, org)
    return org


async def _week(db: Database, org: Org) -> None:
    start = org.week_start + timedelta(hours=1)
    share, click, help_ = EventType.SHARE_INTENT, EventType.LINK_CLICKED, EventType.HELP_ASKED
    for user, item in (("UR1", "a"), ("UR1", "b"), ("UR2", "a"), ("UR7", "c")):
        await _event(db, org, share, user, at=start, item=item)
    for user, item in (("UR1", "a"), ("UR1", "a"), ("UR2", "a"), ("UR1", "b")):
        await _event(db, org, click, user, at=start, item=item)
    for weeks_back in range(1, 5):  # one share a week before: an average of 1
        await _event(db, org, share, "UR4", at=start - WEEK * weeks_back, item="c")
    await _event(db, org, share, "UR5", at=start - WEEK * 20, item="c")  # beyond the chart
    await _event(db, org, help_, "UR3", at=start, payload={"share_with_manager": True})
    await _event(db, org, help_, "UR4", at=start, payload={"share_with_manager": False})
    await _event(db, org, help_, "UR8", at=start, payload={"share_with_manager": True})
    await _event(db, org, help_, "UR5", at=start - WEEK, payload={"share_with_manager": True})


def _text(reply: Reply) -> str:
    return "\n".join(block.text for block in reply.blocks if isinstance(block, Text))


async def _digests(services: Services, org: Org) -> dict[int, ManagerDigest]:
    built = await build_digests(services, workspace_id=org.workspace_id, week_start=org.week_start)
    return {digest.manager_id: digest for digest in built}


async def test_a_team_digest_has_the_week_against_the_four_before(
    services: Services, clock: FakeClock
) -> None:
    org = await _org(services.db, clock)

    digest = (await _digests(services, org))[org.people["UBOSS"]]

    assert (digest.scope, digest.in_programme) == ("team", 5)
    assert (digest.this_week.shares, digest.this_week.clicks, digest.this_week.sharers) == (3, 4, 2)
    assert digest.previous_average() == (1.0, 0.0)
    assert len(digest.weeks) == 12 and sum(w.shares for w in digest.weeks) == 7
    top = [(item.content_id, item.shares, item.clicks) for item in digest.top_items]
    assert top == [(org.items["a"], 2, 3), (org.items["b"], 1, 1)]
    assert digest.spotlights == ((org.people["UR1"], 2),)
    assert digest.asked_for_tips == (org.people["UR3"],)
    assert digest.suggestion == "tips"


async def test_the_reply_names_only_spotlights_and_tip_askers_never_non_sharers(
    services: Services, clock: FakeClock
) -> None:
    org = await _org(services.db, clock)
    digest = (await _digests(services, org))[org.people["UBOSS"]]
    async with services.db.session() as session:
        names = await names_for(session, digest)

    text = _text(digest_reply(digest, names))

    assert "who take part: 5. Shared something this week: 2 (40%)" in text
    assert "Name-UR1 (shared 2 times)" in text and "Name-UR3" in text
    # UR2 shared without consenting; UR4 asked privately; UR5 and UR6 shared nothing.
    for hidden in ("Name-UR2", "Name-UR4", "Name-UR5", "Name-UR6"):
        assert hidden not in text
    assert "Story a — shared 2 times, 3 clicks" in text


async def test_a_small_team_gets_organisation_figures_and_only_the_names_it_was_asked_to(
    services: Services, clock: FakeClock
) -> None:
    org = await _org(services.db, clock)

    digest = (await _digests(services, org))[org.people["USMALL"]]
    async with services.db.session() as session:
        names = await names_for(session, digest)
    text = _text(digest_reply(digest, names))

    assert (digest.scope, digest.in_programme) == ("organisation", 8)
    assert (digest.this_week.shares, digest.this_week.sharers) == (4, 3)
    assert digest.top_items[0].content_id == org.items["a"]
    assert digest.spotlights == () and digest.asked_for_tips == (org.people["UR8"],)
    # UR7 shared with consent, but their counts would point at a person: hidden. UR8 asked
    # for tips and chose to tell their manager: that request reaches the manager.
    assert "Name-UR7" not in text and "Name-UR8" in text
    assert "Fewer than 5 people" in text


async def test_a_withdrawn_spotlight_consent_hides_the_name_at_send_time(
    services: Services, clock: FakeClock
) -> None:
    org = await _org(services.db, clock)
    digest = (await _digests(services, org))[org.people["UBOSS"]]
    async with services.db.session() as session:
        person = await session.get(Person, org.people["UR1"])
        assert person is not None
        person.consent_spotlight = False

    async with services.db.session() as session:
        names = await names_for(session, digest)

    assert names.spotlights == ()


async def test_a_manager_who_said_no_is_never_asked_to_share(
    services: Services, clock: FakeClock
) -> None:
    org = await _org(services.db, clock)
    async with services.db.session() as session:
        boss = await session.get(Person, org.people["UBOSS"])
        ur3 = await session.get(Person, org.people["UR3"])
        ur6 = await session.get(Person, org.people["UR6"])
        assert boss is not None and ur3 is not None and ur6 is not None
        boss.status, ur3.manager_id = ProgrammeStatus.NO, None
        ur6.status = ProgrammeStatus.IN  # the team keeps five in the programme

    digest = (await _digests(services, org))[org.people["UBOSS"]]

    assert digest.suggestion == "thank"


async def test_the_chart_is_a_png_of_twelve_weeks(services: Services, clock: FakeClock) -> None:
    org = await _org(services.db, clock)
    digest = (await _digests(services, org))[org.people["UBOSS"]]

    chart = digest_chart(digest)

    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", chart.content[16:24])
    assert width > 200 and height > 100
    assert chart.filename.endswith(".png")


async def test_suggestion_rules_follow_the_data(services: Services, clock: FakeClock) -> None:
    org = await _org(services.db, clock)
    async with services.db.session() as session:
        ur3 = await session.get(Person, org.people["UR3"])
        ur6 = await session.get(Person, org.people["UR6"])
        assert ur3 is not None and ur6 is not None
        ur3.manager_id = None  # the tip asker leaves the team
        ur6.status = ProgrammeStatus.IN  # and someone joins, so the team keeps five
    digest = (await _digests(services, org))[org.people["UBOSS"]]
    assert digest.scope == "team"
    assert (digest.suggestion, digest.suggestion_item) == ("share_top", "Story a")
    assert "Story a" in _text(digest_reply(digest, Names()))

    async with services.db.session() as session:  # the manager shares it themselves
        boss, item = org.people["UBOSS"], org.items["a"]
        link_id, _ = await link_for(
            session, person_id=boss, content_id=item, network=Network.X, now=clock.now()
        )
        intent = ShareIntent(boss, item, Network.X, "dm", "Suggested", "Mine", 1.0)
        await record_share_intent(session, intent=intent, link_id=link_id, now=clock.now())
    shared = (await _digests(services, org))[org.people["UBOSS"]]
    assert shared.suggestion == "thank"  # 3 shares against an average of 1


async def test_each_manager_gets_one_digest_a_week_through_the_outbox(
    services: Services, clock: FakeClock
) -> None:
    org = await _org(services.db, clock)
    async with services.db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
    messenger = FakeMessenger()

    planned = await plan_digests(services, workspace=ws, occurrence=clock.now())
    outcomes = await drain(services, messenger)
    again = await plan_digests(services, workspace=ws, occurrence=clock.now() + timedelta(hours=1))

    assert (planned, again) == (2, 0)
    assert outcomes[Outcome.SENT] == 2
    assert sorted(messenger.recipients()) == ["UBOSS", "USMALL"]
    for _, reply in messenger.sent:
        (chart,) = reply.files
        assert chart.content.startswith(b"\x89PNG")
    async with services.db.session() as session:  # figures are dropped once sent
        assert await session.scalar(select(func.count()).select_from(StoredDigest)) == 0
    clock.advance(days=7)
    assert await plan_digests(services, workspace=ws, occurrence=clock.now()) == 2
    assert org.people


async def test_a_zone_run_plans_only_managers_in_that_zone(
    services: Services, clock: FakeClock
) -> None:
    org = await _org(services.db, clock)
    async with services.db.session() as session:
        boss = await session.get(Person, org.people["UBOSS"])
        assert boss is not None
        boss.timezone = "Europe/Amsterdam"
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)

    amsterdam = await plan_digests(
        services, workspace=ws, occurrence=clock.now(), zone_name="Europe/Amsterdam"
    )
    utc = await plan_digests(services, workspace=ws, occurrence=clock.now(), zone_name="UTC")

    assert (amsterdam, utc) == (1, 1)


async def test_the_runtime_runs_the_digest_schedule(services: Services, clock: FakeClock) -> None:
    await _org(services.db, clock)
    async with services.db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
    runners = Runtime(Settings(), services, {}, rates={}).runners()

    planned = await runners[ScheduleKind.DIGEST](services, ws, "UTC", clock.now())

    assert planned == 2


async def test_figures_of_a_digest_never_sent_are_purged_after_two_weeks(
    services: Services, clock: FakeClock
) -> None:
    await _org(services.db, clock)
    async with services.db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
    await plan_digests(services, workspace=ws, occurrence=clock.now())

    async with services.db.session() as session:
        await purge_expired_detail(
            session, now=clock.now() + timedelta(days=13), retention_days=400
        )
        kept = await session.scalar(select(func.count()).select_from(StoredDigest))
        await purge_expired_detail(
            session, now=clock.now() + timedelta(days=15), retention_days=400
        )
        left = await session.scalar(select(func.count()).select_from(StoredDigest))

    assert (kept, left) == (2, 0)


async def test_a_tiny_organisation_shows_no_figures_at_all(
    services: Services, clock: FakeClock
) -> None:
    org = await _org(services.db, clock)
    async with services.db.session() as session:  # only three people stay in the programme
        for user in ("UR1", "UR2", "UR3", "UR4", "UR5"):
            person = await session.get(Person, org.people[user])
            assert person is not None
            person.status = ProgrammeStatus.LATER

    digest = (await _digests(services, org))[org.people["USMALL"]]
    reply = digest_reply(digest, Names())

    assert (digest.scope, digest.in_programme) == ("organisation", 3)
    assert reply.files == ()
    assert "of the" not in _text(reply) and "Shares this week" not in _text(reply)
    assert "Story a" in _text(reply)  # what content worked names no one


async def test_a_small_teams_manager_is_not_told_to_thank_a_team_whose_figures_are_not_shown(
    services: Services, clock: FakeClock
) -> None:
    """Regression (issue 15): 'thank the team for what they shared' was suggested to a
    manager whose digest showed only organisation-wide figures."""
    org = await _org(services.db, clock)
    async with services.db.session() as session:
        ur8 = await session.get(Person, org.people["UR8"])
        assert ur8 is not None
        ur8.manager_id = None  # no request for tips in this team
        boss, item = org.people["USMALL"], org.items["a"]
        link_id, _ = await link_for(
            session, person_id=boss, content_id=item, network=Network.X, now=clock.now()
        )
        intent = ShareIntent(boss, item, Network.X, "dm", "Suggested", "Mine", 1.0)
        await record_share_intent(session, intent=intent, link_id=link_id, now=clock.now())
    digest = (await _digests(services, org))[org.people["USMALL"]]
    assert digest.scope == "organisation" and digest.this_week.shares > 0
    assert digest.suggestion == "mention"
