"""Stored nudge marks: set on every write, backfilled by the migration, and the lookback over
them gives exactly what the lookback through the JSON payloads gave."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import and_, func, insert, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Executable

from bench.insights_load import Organisation
from content_store.analytics.insights import (
    _COUNT_NAMES,
    _columns,
    _event_counts,
    _shares,
    epoch_seconds,
    workspace_rows,
)
from content_store.database import Database, alembic_config
from content_store.events import record_event, record_events
from content_store.models import Event, utcnow
from content_store.people import get_or_create_person, get_or_create_workspace
from domain.events import EventType
from domain.programme import ProgrammeStatus
from insights.grouping import Thresholds
from insights.rows import regroup_rows
from insights.signals import NUDGE_LOOKBACK_SECONDS, is_nudge
from tests.conftest import FakeClock
from tests.factories import WORKSPACE
from tests.test_dependency_rule import PACKAGES, ROOT

LOOKBACK = NUDGE_LOOKBACK_SECONDS
PAYLOADS: list[dict[str, Any]] = [
    {"source": "dm"},
    {"source": "home"},
    {"source": "channel"},
    {"source": None},
    {},
    {"source": "dm", "network": "x"},
]
BEFORE_THIS_CHANGE = "0011_connected_accounts"


def _old_shares(workspace_id: int) -> Executable:
    """The shares query before nudges were stored: the oracle. Each share's latest nudge by
    reading the type and the JSON payload of the person's events in whole epoch seconds (the
    coarse `created_at` bound it also had only narrowed the index range, so it is left out)."""
    share = aliased(Event)
    nudge = aliased(Event)
    seconds = epoch_seconds(share.created_at)
    latest = (
        select(func.max(epoch_seconds(nudge.created_at)))
        .where(
            nudge.person_id == share.person_id,
            nudge.created_at <= share.created_at,
            epoch_seconds(nudge.created_at) >= seconds - literal(LOOKBACK),
            or_(
                nudge.type.in_([EventType.REMINDED.value, EventType.NUDGED_ELSEWHERE.value]),
                and_(
                    nudge.type == EventType.PICKS_SHOWN.value,
                    nudge.payload["source"].as_string() == "dm",
                ),
            ),
        )
        .correlate(share)
        .scalar_subquery()
    )
    return select(share.person_id, seconds, latest, share.content_id).where(
        share.workspace_id == workspace_id,
        share.person_id.is_not(None),
        share.type == EventType.SHARE_INTENT.value,
    )


def _old_dm_picks(workspace_id: int) -> Executable:
    """Picks sent as a direct message per person, read from the JSON payload: the oracle."""
    dm = and_(
        Event.type == EventType.PICKS_SHOWN.value, Event.payload["source"].as_string() == "dm"
    )
    return (
        select(Event.person_id, func.count().filter(dm))
        .where(Event.workspace_id == workspace_id, Event.person_id.is_not(None))
        .group_by(Event.person_id)
    )


async def _stored(db: Database) -> list[tuple[str, dict[str, Any], bool]]:
    async with db.session() as session:
        rows = await session.execute(select(Event.type, Event.payload, Event.nudge))
        return [(kind, payload, nudge) for kind, payload, nudge in rows]


def _every_kind() -> list[tuple[EventType, dict[str, Any]]]:
    return [(kind, payload) for kind in EventType for payload in PAYLOADS]


async def test_every_way_of_writing_an_event_stores_whether_it_is_a_nudge(db: Database) -> None:
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        person = await get_or_create_person(session, workspace_id=ws.id, external_id="U1")
        for kind, payload in _every_kind():
            await record_event(
                session, workspace_id=ws.id, person_id=person.id, type=kind, payload=payload
            )
        await record_events(
            session,
            events=[
                {"workspace_id": ws.id, "person_id": person.id, "type": kind, "payload": payload}
                for kind, payload in _every_kind()
            ],
        )
        for kind, payload in _every_kind():
            session.add(Event(workspace_id=ws.id, person_id=person.id, type=kind, payload=payload))
        session.add(Event(workspace_id=ws.id, person_id=person.id, type=EventType.REMINDED))
        # As bench/insights_load.py writes its synthetic year: a Core insert of plain rows.
        await session.execute(
            insert(Event),
            [
                {
                    "workspace_id": ws.id,
                    "person_id": person.id,
                    "type": kind.value,
                    "payload": payload,
                    "created_at": utcnow(),
                }
                for kind, payload in _every_kind()
            ],
        )
    stored = await _stored(db)
    assert len(stored) == 4 * len(_every_kind()) + 1
    wrong = [
        (kind, payload, nudge)
        for kind, payload, nudge in stored
        if nudge is not is_nudge(kind, payload.get("source"))
    ]
    assert wrong == []
    assert sum(nudge for *_, nudge in stored) == 4 * (2 * len(PAYLOADS) + 2) + 1


def test_no_code_writes_events_in_raw_sql() -> None:
    # Raw SQL would bypass the column default that marks the nudges.
    pattern = re.compile(r"insert\s+(or\s+\w+\s+)?into\s+\"?events\b", re.IGNORECASE)
    offenders = [
        path.relative_to(ROOT).as_posix()
        for package in (*PACKAGES, "bench")
        for path in (ROOT / package).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert pattern.search('cursor.execute("INSERT INTO events (type) VALUES (?)")')


async def test_the_benchmark_writes_its_synthetic_events_as_the_app_would(db: Database) -> None:
    organisation = Organisation(people=30, events=1_500, weeks=8, seed=3)
    await organisation.write(db)
    stored = await _stored(db)
    assert len(stored) > 1_000
    assert [nudge for *_, nudge in stored] == [
        is_nudge(kind, payload.get("source")) for kind, payload, _ in stored
    ]
    assert 0 < sum(nudge for *_, nudge in stored) < len(stored)


def _migrate(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if revision == "head":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def test_the_migration_marks_the_nudges_written_before_it(db: Database) -> None:
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        person = await get_or_create_person(session, workspace_id=ws.id, external_id="U1")
    async with db.engine.begin() as connection:
        await connection.run_sync(_migrate, BEFORE_THIS_CHANGE)
    # The events table as it was before this change: no nudge column.
    events = sa.table(
        "events",
        sa.column("workspace_id"),
        sa.column("person_id"),
        sa.column("type"),
        sa.column("payload", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    async with db.engine.begin() as connection:
        await connection.execute(
            events.insert(),
            [
                {
                    "workspace_id": ws.id,
                    "person_id": person.id,
                    "type": kind.value,
                    "payload": payload,
                    "created_at": utcnow(),
                }
                for kind, payload in _every_kind()
            ],
        )
    async with db.engine.begin() as connection:
        await connection.run_sync(_migrate, "head")
    stored = await _stored(db)
    assert len(stored) == len(_every_kind())
    assert [nudge for kind, payload, nudge in stored] == [
        is_nudge(kind, payload.get("source")) for kind, payload, _ in stored
    ]
    assert sum(nudge for *_, nudge in stored) == 2 * len(PAYLOADS) + 2


# Seconds from a nudge to the share after it, at and around the lookback's edges; the share
# moments' fractions of a second vary too (see _edge_cases).
GAPS = [
    0.0,
    0.4,
    1.0,
    LOOKBACK - 1.0,
    LOOKBACK - 0.3,
    LOOKBACK,
    LOOKBACK + 0.2,
    LOOKBACK + 0.7,
    LOOKBACK + 1.0,
    LOOKBACK + 1.3,
    LOOKBACK + 2.0,
    -0.2,
    -1.0,
]
NUDGES: list[tuple[EventType, dict[str, Any]]] = [
    (EventType.PICKS_SHOWN, {"source": "dm"}),
    (EventType.PICKS_SHOWN, {"source": "home"}),
    (EventType.PICKS_SHOWN, {}),
    (EventType.REMINDED, {}),
    (EventType.NUDGED_ELSEWHERE, {"note": "campaign"}),
    (EventType.CONTENT_SUGGESTED, {}),
]
DM_PICKS = (EventType.PICKS_SHOWN, {"source": "dm"})


async def _edge_cases(db: Database, start: datetime) -> int:
    """One person per (nudge, gap, fraction of the share's second); each with one share."""
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        number = 0
        for kind, payload in NUDGES:
            for gap in GAPS:
                for fraction in (0, 300_000, 999_999):
                    person = await get_or_create_person(
                        session, workspace_id=ws.id, external_id=f"E{number}"
                    )
                    number += 1
                    person.status = ProgrammeStatus.IN
                    shared = start.replace(microsecond=fraction) + timedelta(days=20)
                    await _write(session, ws.id, person.id, kind, payload, shared - _seconds(gap))
                    await _write(session, ws.id, person.id, EventType.SHARE_INTENT, {}, shared)
        return ws.id


async def _random_cases(db: Database, start: datetime, rng: random.Random) -> None:
    """People with many events, several shares each, nudges of their colleagues and of a
    person in another workspace just before their shares."""
    kinds = [*NUDGES, (EventType.SHARE_INTENT, {}), (EventType.HELP_ASKED, {})]
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        other = await get_or_create_workspace(session, platform="slack", external_id="T-OTHER")
        stranger = await get_or_create_person(session, workspace_id=other.id, external_id="S")
        people: list[int] = []
        for number in range(12):
            person = await get_or_create_person(
                session, workspace_id=ws.id, external_id=f"R{number}"
            )
            person.status = ProgrammeStatus.IN
            people.append(person.id)
        for _ in range(600):
            person_id = rng.choice(people)
            kind, payload = rng.choice(kinds)
            at = start + timedelta(
                seconds=rng.randint(0, 8 * 7 * 86400), microseconds=rng.randint(0, 999_999)
            )
            await _write(session, ws.id, person_id, kind, payload, at)
            if kind is EventType.SHARE_INTENT:
                # A colleague's and a stranger's dm picks a moment before: not this person's.
                before = at - timedelta(seconds=1)
                await _write(session, ws.id, rng.choice(people), *DM_PICKS, before)
                await _write(session, other.id, stranger.id, *DM_PICKS, before)


def _seconds(gap: float) -> timedelta:
    return timedelta(microseconds=round(gap * 1_000_000))


async def _write(
    session: Any,
    workspace_id: int,
    person_id: int,
    kind: EventType,
    payload: dict[str, Any],
    at: datetime,
) -> None:
    await record_event(
        session,
        workspace_id=workspace_id,
        person_id=person_id,
        type=kind,
        payload=payload,
        at=at,
        content_id=None,
    )


async def test_the_lookback_over_stored_nudges_equals_the_one_through_the_payloads(
    db: Database, clock: FakeClock
) -> None:
    start = clock.now()
    workspace_id = await _edge_cases(db, start)
    await _random_cases(db, start, random.Random(7))
    async with db.session() as session:
        new = (await session.execute(_shares(workspace_id))).all()
        old = (await session.execute(_old_shares(workspace_id))).all()
        counts = await _columns(session, _event_counts(workspace_id), "q" * 9)
        old_dm: dict[int, int] = dict((await session.execute(_old_dm_picks(workspace_id))).all())
    assert sorted(new) == sorted(old)
    nudged = [row for row in old if row[2] is not None]
    assert len(nudged) > 100 and len(old) - len(nudged) > 100
    # Every edge in the table shows up: a nudge at the share's very moment, and both sides of
    # the lookback's whole-second edge.
    gaps = {row[1] - row[2] for row in nudged}
    assert {0, LOOKBACK - 1, LOOKBACK} <= gaps and max(gaps) == LOOKBACK
    dm_column = 1 + _COUNT_NAMES.index("picks_dm")
    assert dict(zip(counts[0], counts[dm_column], strict=True)) == old_dm
    assert sum(old_dm.values()) > 0


async def test_regrouping_on_stored_nudges_places_everyone_as_before(
    db: Database, clock: FakeClock
) -> None:
    start = clock.now()
    workspace_id = await _edge_cases(db, start)
    await _random_cases(db, start, random.Random(11))
    now = start + timedelta(weeks=9)
    async with db.session() as session:
        rows = await workspace_rows(session, workspace_id=workspace_id)
        old_shares = await _columns(session, _old_shares(workspace_id), "qqqq")
    old_rows = replace(rows, shares=old_shares)
    assert sorted(zip(*rows.shares, strict=True)) == sorted(zip(*old_shares, strict=True))
    new = list(regroup_rows(rows, now=now, thresholds=Thresholds()))
    old = list(regroup_rows(old_rows, now=now, thresholds=Thresholds()))
    assert new == old
    assert len({placed[1] for placed in new}) > 1
