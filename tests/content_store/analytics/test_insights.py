"""The set-based SQL signals equal the plain-Python reference on the same stored data."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.analytics.insights import (
    _COUNT_NAMES,
    _clicks,
    _event_counts,
    _rewrites,
    _streamed_columns,
    _whole_columns,
    people_in_group,
    store_placements,
    workspace_signals,
)
from content_store.database import Database
from content_store.events import record_event
from content_store.models import (
    Click,
    ContentTopic,
    Event,
    Link,
    Person,
    PersonTopic,
    Share,
    Topic,
)
from content_store.people import get_or_create_person, get_or_create_workspace
from content_store.sharing import ShareIntent, link_for, record_share_intent
from domain.events import EventType
from domain.networks import Network
from domain.programme import ProgrammeStatus
from insights.grouping import Thresholds, place
from insights.rows import NULL
from insights.signals import EventFact, PersonFacts, Signals, Timing, workspace_signals_of
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, add_item

WINDOW = 48 * 3600
TIMING = Timing()
KINDS = [
    EventType.NUDGED_ELSEWHERE,
    EventType.INVITED,
    EventType.REMINDED,
    EventType.OPTED_IN,
    EventType.PICKS_SHOWN,
    EventType.PICKS_SHOWN,
    EventType.SHARE_INTENT,
    EventType.SHARE_INTENT,
    EventType.SHARE_INTENT,
    EventType.NOT_FOR_ME,
    EventType.MORE_LIKE_THIS,
    EventType.CONTENT_SUGGESTED,
    EventType.HELP_ASKED,
    EventType.LINK_CLICKED,
]
SOURCES = ["dm", "dm", "home", "now", "channel", "web", None]
TEAMS = ["Sales", "sales", "Ops", ""]
HELP_PAYLOADS: list[dict[str, object]] = [
    {"share_with_manager": False},
    {"share_with_manager": True},
    {"share_with_manager": False, "offered": True},
    {"share_with_manager": False, "share_with_content_team": True},
]


async def _random_workspace(db: Database, clock: FakeClock, rng: random.Random) -> int:
    start = clock.now()
    items = [await add_item(db, slug=f"s{n}", topics=("product",), now=start) for n in range(3)]
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        topic_ids = list((await session.execute(select(Topic.id))).scalars())
        for number in range(25):
            person = await get_or_create_person(
                session, workspace_id=ws.id, external_id=f"U{number}"
            )
            person.status = rng.choice(list(ProgrammeStatus))
            person.invited_at = start if rng.random() < 0.7 else None
            # Teams by name in any case, and none; from their own stream, so the events stay.
            person.team = random.Random(number).choice(TEAMS)
            await _random_events(session, ws.id, person.id, start, rng, items)
            await _random_shares(session, person.id, items, start, rng)
            for topic_id in topic_ids:
                if rng.random() < 0.5:
                    session.add(
                        PersonTopic(
                            person_id=person.id, topic_id=topic_id, chosen=rng.random() < 0.7
                        )
                    )
        other = await get_or_create_workspace(session, platform="slack", external_id="T-OTHER")
        stranger = await get_or_create_person(session, workspace_id=other.id, external_id="U1")
        await _random_events(session, other.id, stranger.id, start, rng, [])
    return ws.id


async def _random_events(
    session: AsyncSession,
    workspace_id: int,
    person_id: int,
    start: datetime,
    rng: random.Random,
    items: list[int],
) -> None:
    for _ in range(rng.randint(0, 30)):
        kind = rng.choice(KINDS)
        # Whole and fractional seconds, across several weeks (and week boundaries).
        at = start + timedelta(
            seconds=rng.randint(0, 6 * 7 * 86400), microseconds=rng.randint(0, 999_999)
        )
        payload: dict[str, object] = (
            {"source": rng.choice(SOURCES)}
            if kind in (EventType.PICKS_SHOWN, EventType.SHARE_INTENT)
            else {}
        )
        if kind is EventType.HELP_ASKED:
            payload = rng.choice(HELP_PAYLOADS)
        content_id = rng.choice([None, *items])
        await record_event(
            session,
            workspace_id=workspace_id,
            person_id=person_id,
            content_id=content_id,
            type=kind,
            payload=payload,
            at=at,
        )


async def _random_shares(
    session: AsyncSession, person_id: int, items: list[int], start: datetime, rng: random.Random
) -> None:
    for content_id in items:
        if rng.random() < 0.5:
            continue
        link_id, _ = await link_for(
            session, person_id=person_id, content_id=content_id, network=Network.LINKEDIN, now=start
        )
        intent = ShareIntent(
            person_id, content_id, Network.LINKEDIN, "dm", "a", "b", round(rng.random(), 3)
        )
        await record_share_intent(session, intent=intent, link_id=link_id, now=start)
        for _ in range(rng.randint(0, 3)):
            session.add(Click(link_id=link_id, clicked_at=start + timedelta(hours=1)))


async def _reference(db: Database, workspace_id: int, now: datetime) -> list[Signals]:
    """The same signals, from plain rows read back and the Python definitions."""
    async with db.session() as session:
        people = (
            (await session.execute(select(Person).where(Person.workspace_id == workspace_id)))
            .scalars()
            .all()
        )
        events = (
            (await session.execute(select(Event).where(Event.workspace_id == workspace_id)))
            .scalars()
            .all()
        )
        shares = (await session.execute(select(Share))).scalars().all()
        links = {
            link.id: link.person_id for link in (await session.execute(select(Link))).scalars()
        }
        clicks = (await session.execute(select(Click))).scalars().all()
        chosen = (
            (await session.execute(select(PersonTopic).where(PersonTopic.chosen.is_(True))))
            .scalars()
            .all()
        )
        tagged = (await session.execute(select(ContentTopic))).scalars().all()
    by_person: dict[int, list[EventFact]] = defaultdict(list)
    for event in events:
        if event.person_id is not None:
            payload = event.payload or {}
            by_person[event.person_id].append(
                EventFact(
                    event.id,
                    event.type,
                    event.created_at,
                    payload.get("source"),
                    event.content_id,
                    payload,
                )
            )
    ratios: dict[int, list[float]] = defaultdict(list)
    for share in shares:
        if share.person_id is not None:
            ratios[share.person_id].append(share.rewrite_ratio)
    click_count: dict[int | None, int] = defaultdict(int)
    for click in clicks:
        click_count[links[click.link_id]] += 1
    topics_of: dict[int, set[int]] = defaultdict(set)
    for row in chosen:
        topics_of[row.person_id].add(row.topic_id)
    content_topics: dict[int, set[int]] = defaultdict(set)
    for tag in tagged:
        content_topics[tag.content_id].add(tag.topic_id)
    frozen = {key: frozenset(value) for key, value in content_topics.items()}
    everyone = [
        PersonFacts(
            person_id=p.id,
            status=p.status.value,
            events=by_person[p.id],
            rewrite_ratios=ratios[p.id],
            chosen_topics=frozenset(topics_of[p.id]),
            content_topics=frozen,
            clicks=click_count[p.id],
            invited=p.invited_at is not None,
            team=p.team,
        )
        for p in sorted(people, key=lambda p: p.id)
    ]
    return workspace_signals_of(everyone, now=now, timing=TIMING)


@pytest.mark.parametrize("seed", [1, 2])
async def test_sql_signals_equal_the_python_reference(
    db: Database, clock: FakeClock, seed: int
) -> None:
    rng = random.Random(seed)
    workspace_id = await _random_workspace(db, clock, rng)
    now = clock.now() + timedelta(weeks=7)
    async with db.session() as session:
        computed = await workspace_signals(
            session, workspace_id=workspace_id, now=now, timing=TIMING
        )
    expected = await _reference(db, workspace_id, now)
    assert len(computed) == 25
    assert sum(s.shares for s in computed) > 0 and sum(s.later_shares for s in computed) > 0
    assert any(s.help_asked for s in computed) and any(s.topic_matches for s in computed)
    assert any(s.nudges_logged for s in computed)
    # Weeks with two or more different items shared occur, so the comparison below can fail.
    assert any(s.weeks_with_several for s in computed)
    for got, want in zip(computed, expected, strict=True):
        if want.rewrite_ratio is None:
            assert got.rewrite_ratio is None
        else:
            assert got.rewrite_ratio == pytest.approx(want.rewrite_ratio)
        assert got.own_accord_total == pytest.approx(want.own_accord_total)
        assert got.help_recent == pytest.approx(want.help_recent)
        plain = {"rewrite_ratio": None, "own_accord_total": 0.0, "help_recent": 0.0}
        assert replace(got, **plain) == replace(want, **plain)  # type: ignore[arg-type]


async def test_aggregates_fetched_whole_on_postgresql_equal_the_streamed_rows(
    db: Database, clock: FakeClock
) -> None:
    if not db.is_postgresql:
        pytest.skip("only PostgreSQL fetches the aggregates whole (as arrays)")
    workspace_id = await _random_workspace(db, clock, random.Random(3))
    aggregates = [
        (_event_counts, "q" * (len(_COUNT_NAMES) + 3)),
        (_rewrites, "qd"),
        (_clicks, "qq"),
    ]
    async with db.session() as session:
        empty = await get_or_create_workspace(session, platform="slack", external_id="T-EMPTY")
        for query, kinds in aggregates:
            for ws in (workspace_id, empty.id):
                whole = await _whole_columns(session, query(ws), kinds)  # type: ignore[arg-type]
                streamed = await _streamed_columns(session, query(ws), kinds)
                assert [type(column) for column in whole] == [type(c) for c in streamed]
                assert sorted(zip(*whole, strict=True)) == sorted(zip(*streamed, strict=True))
                assert (len(whole[0]) > 0) == (ws == workspace_id)
        counts = await _whole_columns(session, _event_counts(workspace_id), aggregates[0][1])  # type: ignore[arg-type]
    assert NULL in counts[-1] and any(value != NULL for value in counts[-1])


# (nudge, seconds from the nudge to the share): at, inside and just past the window's edge,
# with fractions of a second on either side, and a reminder rather than picks.
EDGES = [
    (EventType.PICKS_SHOWN, 0.0),
    (EventType.PICKS_SHOWN, WINDOW - 0.5),
    (EventType.PICKS_SHOWN, WINDOW),
    (EventType.PICKS_SHOWN, WINDOW + 0.2),
    (EventType.PICKS_SHOWN, WINDOW + 0.9),
    (EventType.PICKS_SHOWN, WINDOW + 1.0),
    (EventType.PICKS_SHOWN, WINDOW + 1.5),
    (EventType.REMINDED, WINDOW - 1.0),
    (EventType.REMINDED, WINDOW + 2.0),
    (EventType.PICKS_SHOWN, -1.0),  # the nudge came after the share
]


async def test_the_nudge_window_edges_agree_with_the_python_reference(
    db: Database, clock: FakeClock
) -> None:
    start = clock.now().replace(microsecond=700_000)
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        for index, (nudge, gap) in enumerate(EDGES):
            person = await get_or_create_person(
                session, workspace_id=ws.id, external_id=f"E{index}"
            )
            person.status = ProgrammeStatus.IN
            source = {"source": "dm"} if nudge is EventType.PICKS_SHOWN else {}
            facts = [
                (nudge, start, source),
                (EventType.SHARE_INTENT, start + timedelta(seconds=gap), {"source": "dm"}),
            ]
            for kind, at, payload in facts:
                await record_event(
                    session,
                    workspace_id=ws.id,
                    person_id=person.id,
                    type=kind,
                    payload=payload,
                    at=at,
                )
    now = start + timedelta(weeks=1)
    async with db.session() as session:
        computed = await workspace_signals(session, workspace_id=ws.id, now=now, timing=TIMING)
    expected = await _reference(db, ws.id, now)
    assert [s.later_shares for s in computed] == [s.later_shares for s in expected]
    assert [s.own_accord_total for s in computed] == pytest.approx(
        [s.own_accord_total for s in expected]
    )
    assert [s.later_shares for s in computed][:2] == [0, 0]  # inside the window: soon after
    assert computed[-1].later_shares == 1 and computed[-2].later_shares == 1
    assert computed[-1].own_accord == 1.0  # the nudge came after the share


async def test_stored_groups_replace_the_previous_ones(db: Database, clock: FakeClock) -> None:
    workspace_id = await _random_workspace(db, clock, random.Random(3))
    now = clock.now() + timedelta(weeks=7)
    async with db.session() as session:
        signals = await workspace_signals(
            session, workspace_id=workspace_id, now=now, timing=TIMING
        )
        placements = [place(s, Thresholds()) for s in signals]
        await store_placements(session, workspace_id=workspace_id, placements=placements, now=now)
        await store_placements(
            session, workspace_id=workspace_id, placements=placements[:5], now=now
        )
    async with db.session() as session:
        stored = [
            insight
            for group in ("not_interested", "needs_help", "self_driven")
            for _, insight in await people_in_group(session, workspace_id=workspace_id, group=group)
        ]
    assert sorted(i.person_id for i in stored) == sorted(p.person_id for p in placements[:5])
    assert all(
        i.evidence == next(p.evidence for p in placements if p.person_id == i.person_id)
        for i in stored
    )
    # Every column as placed (PostgreSQL writes them with COPY, SQLite with INSERTs).
    by_id = {p.person_id: p for p in placements}
    assert all(
        (i.workspace_id, i.group, i.confidence, i.sure, i.headline, i.computed_at)
        == (workspace_id, p.group.value, p.confidence, p.sure, p.headline, now)
        for i in stored
        for p in [by_id[i.person_id]]
    )


async def test_teammates_sharing_within_hours_make_a_wave_in_sql_as_in_the_reference(
    db: Database, clock: FakeClock
) -> None:
    """Three days after my DM, "Sales" and "sales" share an hour apart: one team, so the second
    share follows the first; someone without a team sharing in between follows nobody."""
    start = clock.now()
    plan = [("S1", "Sales", 72.0), ("S2", "sales", 73.0), ("N1", "", 72.5), ("O1", "Ops", 73.5)]
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        for user, team, hours in plan:
            person = await get_or_create_person(session, workspace_id=ws.id, external_id=user)
            person.status, person.team = ProgrammeStatus.IN, team
            events = [
                (EventType.PICKS_SHOWN, start, {"source": "dm"}),
                (EventType.SHARE_INTENT, start + timedelta(hours=hours), {"source": "home"}),
            ]
            for kind, at, payload in events:
                await record_event(
                    session,
                    workspace_id=ws.id,
                    person_id=person.id,
                    type=kind,
                    payload=payload,
                    at=at,
                )
    now = start + timedelta(weeks=1)
    async with db.session() as session:
        computed = await workspace_signals(session, workspace_id=ws.id, now=now, timing=TIMING)
    assert computed == await _reference(db, ws.id, now)
    assert [s.shares_in_wave for s in computed] == [0, 1, 0, 0]
    assert computed[1].own_accord == pytest.approx(1 - 0.5 ** (1 / 24))
    assert computed[0].own_accord == pytest.approx(1 - 0.5 ** (72 / 24))
