"""The outbox on SQLite and PostgreSQL: planning once, claiming without overlap, leases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from content_store import outbox
from content_store.database import Database
from content_store.models import Delivery, Person, Workspace
from content_store.outbox import PlannedDelivery
from content_store.people import get_or_create_workspace
from domain.programme import Cadence, ProgrammeStatus

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


async def _people(
    db: Database, count: int, *, platform: str = "slack", external: str = "T1", **fields: object
) -> list[int]:
    async with db.session() as session:
        workspace = await get_or_create_workspace(
            session, platform=platform, external_id=external, timezone="Europe/Amsterdam"
        )
        people = [
            Person(
                workspace_id=workspace.id,
                external_id=f"{external}-U{index}",
                status=ProgrammeStatus.IN,
                **fields,
            )
            for index in range(count)
        ]
        session.add_all(people)
        await session.flush()
        return [person.id for person in people]


async def _plan(db: Database, people: list[int], *, slot: str = "picks:2026-W48") -> int:
    async with db.session() as session:
        planned = [PlannedDelivery(person, slot, "picks", NOW) for person in people]
        return await outbox.plan(session, planned=planned)


async def _claim(db: Database, *, worker: str, limit: int = 100, now: datetime = NOW) -> list[int]:
    async with db.session() as session:
        claimed = await outbox.claim_due(session, now=now, limit=limit, lease=LEASE, claim=worker)
    return [row.delivery_id for row in claimed]


async def test_planning_twice_queues_each_person_once(db: Database) -> None:
    people = await _people(db, 1200)  # more than one insert chunk
    assert await _plan(db, people) == 1200
    assert await _plan(db, people) == 0
    async with db.session() as session:
        assert await outbox.waiting_count(session) == 1200
        again = [PlannedDelivery(person, "picks:2026-W48", "picks", NOW) for person in people]
        assert await outbox.unplanned(session, planned=again) == 0


async def test_claims_hand_each_row_to_one_sender(db: Database) -> None:
    await _plan(db, await _people(db, 60))
    first, second = await asyncio.gather(
        _claim(db, worker="a", limit=40), _claim(db, worker="b", limit=40)
    )
    assert not set(first) & set(second)
    assert len(first) + len(second) == 60
    assert await _claim(db, worker="c") == []


async def test_a_claim_never_takes_more_than_its_limit(db: Database) -> None:
    # PostgreSQL once re-ran the claiming subquery per row and handed out every row.
    await _plan(db, await _people(db, 12))
    assert [len(await _claim(db, worker="a", limit=1)) for _ in range(3)] == [1, 1, 1]


async def test_rows_of_a_paused_workspace_or_unserved_platform_are_not_claimed(
    db: Database,
) -> None:
    await _plan(db, await _people(db, 2))
    await _plan(db, await _people(db, 2, platform="local", external="L1"))
    async with db.session() as session:
        workspace = await session.scalar(select(Workspace).filter_by(external_id="T1"))
        assert workspace is not None
        workspace.paused = True
    assert await _claim(db, worker="a") == []
    async with db.session() as session:
        workspace = await session.scalar(select(Workspace).filter_by(external_id="T1"))
        assert workspace is not None
        workspace.paused = False
    assert len(await _claim(db, worker="a")) == 2  # the local workspace has no messenger


async def test_a_row_whose_sender_died_is_taken_over_in_doubt(db: Database) -> None:
    await _plan(db, await _people(db, 1))
    (row,) = await _claim(db, worker="dead")
    assert await _claim(db, worker="b", now=NOW + LEASE - timedelta(seconds=1)) == []
    async with db.session() as session:
        later = NOW + LEASE + timedelta(seconds=1)
        (taken,) = await outbox.claim_due(session, now=later, limit=5, lease=LEASE, claim="b")
    assert (taken.delivery_id, taken.in_doubt, taken.attempts) == (row, True, 2)
    async with db.session() as session:
        # The dead sender's late answer no longer counts.
        assert not await outbox.finish(
            session, delivery_id=row, claim="dead", status="sent", now=later
        )
        assert await outbox.finish(
            session, delivery_id=row, claim="b", status="sent", now=later, message_id="D:1"
        )
        delivery = await session.get(Delivery, row)
        assert delivery is not None
        assert (delivery.status, delivery.platform_message_id) == ("sent", "D:1")


async def test_retries_wait_for_their_time_and_releases_do_not_count(db: Database) -> None:
    await _plan(db, await _people(db, 2))
    first, second = await _claim(db, worker="a")
    async with db.session() as session:
        retry_at = NOW + timedelta(minutes=5)
        await outbox.finish(
            session, delivery_id=first, claim="a", status="retry", now=NOW, retry_at=retry_at
        )
        await outbox.release(session, delivery_id=second, claim="a")
    assert await _claim(db, worker="b") == [second]
    async with db.session() as session:
        delivery = await session.get(Delivery, second)
        assert delivery is not None and delivery.attempts == 1
        await outbox.finish(session, delivery_id=second, claim="b", status="sent", now=NOW)
    assert await _claim(db, worker="c", now=NOW + timedelta(minutes=4)) == []
    assert await _claim(db, worker="c", now=NOW + timedelta(minutes=5)) == [first]


async def test_resume_drops_sends_older_than_the_grace_window(db: Database) -> None:
    old, fresh = await _people(db, 2)
    async with db.session() as session:
        await outbox.plan(
            session,
            planned=[
                PlannedDelivery(old, "picks:2026-W47", "picks", NOW - timedelta(days=2)),
                PlannedDelivery(fresh, "picks:2026-W48", "picks", NOW),
            ],
        )
        workspace = await session.scalar(select(Workspace).filter_by(external_id="T1"))
        assert workspace is not None
        cutoff = NOW - timedelta(hours=6)
        assert await outbox.expire_waiting(session, workspace_id=workspace.id, due_before=cutoff)
    async with db.session() as session:
        statuses = dict((await session.execute(select(Delivery.person_id, Delivery.status))).all())
    assert statuses == {old: "expired", fresh: "pending"}


async def test_participants_are_those_in_with_an_address_in_the_asked_zone(db: Database) -> None:
    await _people(db, 2)
    await _people(db, 1, external="T2")
    async with db.session() as session:
        workspace = await session.scalar(select(Workspace).filter_by(external_id="T1"))
        assert workspace is not None
        session.add_all(
            [
                Person(workspace_id=workspace.id, external_id="U-NO", status=ProgrammeStatus.NO),
                Person(
                    workspace_id=workspace.id,
                    external_id="U-NY",
                    status=ProgrammeStatus.IN,
                    timezone="America/New_York",
                ),
                Person(
                    workspace_id=workspace.id,
                    external_id="email:new@example.com",
                    status=ProgrammeStatus.IN,
                ),
                Person(
                    workspace_id=workspace.id,
                    external_id="U-MONTHLY",
                    status=ProgrammeStatus.IN,
                    cadence=Cadence.MONTHLY,
                ),
            ]
        )
    async with db.session() as session:
        workspace = await session.scalar(select(Workspace).filter_by(external_id="T1"))
        assert workspace is not None
        everyone = await outbox.participants(session, workspace=workspace)
        amsterdam = await outbox.participants(
            session, workspace=workspace, zone_name="Europe/Amsterdam"
        )
    assert len(everyone) == 4  # not the 'no', not the unlinked import, not T2's person
    assert len(amsterdam) == 3 and {entry.zone for entry in amsterdam} == {"Europe/Amsterdam"}
    assert Cadence.MONTHLY in {entry.cadence for entry in everyone}
