"""The delivery outbox: rows planned before sending, claimed by senders, marked after."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Delivery, Person, Workspace
from content_store.people import IMPORTED
from domain.programme import Cadence, ProgrammeStatus

# Rows a sender may take: due and waiting, or held by a sender whose lease ran out.
WAITING = ("pending", "retry")
_CHUNK = 500


@dataclass(frozen=True)
class PlannedDelivery:
    """A send to plan: who, which slot, what kind, and from when."""

    person_id: int
    slot: str
    kind: str
    due_at: datetime


@dataclass(frozen=True)
class ClaimedDelivery:
    """A row a sender now holds, with what it needs to reach the person."""

    delivery_id: int
    person_id: int
    kind: str
    slot: str
    attempts: int
    in_doubt: bool
    due_at: datetime
    platform: str
    workspace_id: int
    workspace_external_id: str
    person_external_id: str
    # Unique to this one claim: a stale holder of an older claim can no longer touch the row.
    claim: str


def new_claim(sender: str) -> str:
    """A claim token: the sender's name and a part that is new every time."""
    return f"{sender[:40]}/{uuid.uuid4().hex[:16]}"


async def plan(session: AsyncSession, *, planned: Sequence[PlannedDelivery]) -> int:
    """Insert outbox rows, skipping any (person, slot) already there; the number inserted."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted = 0
    for start in range(0, len(planned), _CHUNK):
        rows = [_row(entry) for entry in planned[start : start + _CHUNK]]
        statement = (
            insert(Delivery)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["person_id", "slot"])
        )
        result = await session.execute(statement)
        inserted += max(0, int(getattr(result, "rowcount", 0)))
    return inserted


def _row(entry: PlannedDelivery) -> dict[str, Any]:
    return {
        "person_id": entry.person_id,
        "slot": entry.slot,
        "kind": entry.kind,
        "status": "pending",
        "due_at": entry.due_at,
        "available_at": entry.due_at,
        "attempts": 0,
        "in_doubt": False,
    }


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Delivery.status.in_(WAITING), Delivery.available_at <= now),
        and_(Delivery.status == "sending", Delivery.lease_until < now),
    )


def in_flight_bound(lease: timedelta) -> timedelta:
    """How long one send may take at most: half the lease renewed right before it.

    So a replica taking a row over once its lease has run out waits out any send that may
    still be in flight, with half a lease to spare for clocks that disagree between hosts.
    """
    return lease / 2


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    claim: str,
    platforms: Sequence[str] = ("slack", "teams"),
) -> list[ClaimedDelivery]:
    """Take up to `limit` due rows of unpaused workspaces on `platforms` for this sender.

    PostgreSQL skips rows other replicas are claiming (FOR UPDATE SKIP LOCKED); the guard in
    the UPDATE makes the claim safe on SQLite too, where one statement is atomic.
    """
    due = (
        select(Delivery.id)
        .join(Person, Person.id == Delivery.person_id)
        .join(Workspace, Workspace.id == Person.workspace_id)
        .where(Workspace.paused.is_(False), Workspace.platform.in_(platforms), _claimable(now))
        .order_by(Delivery.available_at, Delivery.id)
        .limit(limit)
        .with_for_update(of=Delivery, skip_locked=True)
        # Materialised: as a plain IN subquery PostgreSQL may run it again for every row
        # it updates, and SKIP LOCKED would then hand out more than `limit` rows.
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return await _take(session, ids=select(due.c.id), now=now, lease=lease, claim=claim)


async def claim_slot(
    session: AsyncSession,
    *,
    person_id: int,
    slot: str,
    now: datetime,
    claim: str,
    lease: timedelta = timedelta(minutes=2),
) -> ClaimedDelivery | None:
    """Take one person's row for a slot to send it at once, if it is still to be sent."""
    row = select(Delivery.id).filter_by(person_id=person_id, slot=slot)
    claimed = await _take(session, ids=row.scalar_subquery(), now=now, lease=lease, claim=claim)
    return claimed[0] if claimed else None


async def _take(
    session: AsyncSession, *, ids: Any, now: datetime, lease: timedelta, claim: str
) -> list[ClaimedDelivery]:
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(ids), _claimable(now))
        .values(
            status="sending",
            # SET expressions see the old row: a row still 'sending' lost its sender mid-send,
            # and a row whose last send ended in an ambiguous failure stays in doubt.
            in_doubt=or_(Delivery.status == "sending", Delivery.in_doubt.is_(True)),
            claimed_by=claim,
            lease_until=now + lease,
            attempts=Delivery.attempts + 1,
        )
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    taken = list((await session.execute(statement)).scalars())
    return await _describe(session, ids=taken)


async def _describe(session: AsyncSession, *, ids: list[int]) -> list[ClaimedDelivery]:
    if not ids:
        return []
    query = (
        select(Delivery, Person.external_id, Workspace)
        .join(Person, Person.id == Delivery.person_id)
        .join(Workspace, Workspace.id == Person.workspace_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.available_at, Delivery.id)
    )
    return [
        ClaimedDelivery(
            delivery_id=row.id,
            person_id=row.person_id,
            kind=row.kind,
            slot=row.slot,
            attempts=row.attempts,
            in_doubt=row.in_doubt,
            due_at=row.due_at,
            platform=workspace.platform,
            workspace_id=workspace.id,
            workspace_external_id=workspace.external_id,
            person_external_id=person_external_id,
            claim=row.claimed_by or "",
        )
        for row, person_external_id, workspace in (await session.execute(query)).all()
    ]


async def finish(
    session: AsyncSession,
    *,
    delivery_id: int,
    claim: str,
    status: str,
    now: datetime,
    message_id: str | None = None,
    error: str | None = None,
    retry_at: datetime | None = None,
    in_doubt: bool = False,
) -> bool:
    """Record how a claimed send ended; False when the row no longer belongs to this sender.

    `in_doubt`: the send failed in a way that may still have delivered it, so whoever tries
    again looks it up on the platform first.
    """
    values: dict[str, Any] = {
        "status": status,
        "error": error,
        "lease_until": None,
        "in_doubt": in_doubt,
    }
    if status == "sent":
        values.update(sent_at=now, platform_message_id=message_id)
    if retry_at is not None:
        values["available_at"] = retry_at
    statement = (
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claimed_by == claim)
        .where(Delivery.status == "sending")
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(await session.execute(statement), "rowcount", 0))


async def finish_many(
    session: AsyncSession,
    *,
    claim: str,
    message_ids: Mapping[int, str | None],
    status: str,
    now: datetime,
    error: str | None = None,
) -> list[int]:
    """Record that several claimed rows ended alike (sent with their message ids, or
    skipped) in one statement; the ids this sender still held."""
    if not message_ids:
        return []
    values: dict[str, Any] = {
        "status": status,
        "error": error,
        "lease_until": None,
        "in_doubt": False,
    }
    if status == "sent":
        values["sent_at"] = now
        values["platform_message_id"] = case(dict(message_ids), value=Delivery.id)
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(list(message_ids)), Delivery.claimed_by == claim)
        .where(Delivery.status == "sending")
        .values(values)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return list((await session.execute(statement)).scalars())


async def renew_many(
    session: AsyncSession, *, ids: Sequence[int], claim: str, until: datetime
) -> list[int]:
    """Extend the claims of rows about to be sent; the ids still held by this sender."""
    if not ids:
        return []
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(list(ids)), Delivery.claimed_by == claim)
        .where(Delivery.status == "sending")
        .values(lease_until=until)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return list((await session.execute(statement)).scalars())


async def release_many(session: AsyncSession, *, ids: Sequence[int], claim: str) -> None:
    """Hand claimed rows back untouched (their workspace was paused before they went out)."""
    if not ids:
        return
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(list(ids)), Delivery.claimed_by == claim)
        .where(Delivery.status == "sending")
        .values(status="pending", lease_until=None, attempts=Delivery.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)


async def renew(session: AsyncSession, *, delivery_id: int, claim: str, until: datetime) -> bool:
    """Extend a claim about to send; False when the row was taken over meanwhile."""
    statement = (
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claimed_by == claim)
        .where(Delivery.status == "sending")
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(await session.execute(statement), "rowcount", 0))


@dataclass(frozen=True)
class PersonState:
    """What decides, right before a send, whether the person still wants it."""

    person_id: int
    status: ProgrammeStatus
    cadence: Cadence
    paused_until: date | None
    timezone: str | None


async def person_states(
    session: AsyncSession, *, person_ids: Sequence[int]
) -> dict[int, PersonState]:
    """The current consent of each person (an erased person is simply absent)."""
    if not person_ids:
        return {}
    query = select(
        Person.id, Person.status, Person.cadence, Person.paused_until, Person.timezone
    ).where(Person.id.in_(set(person_ids)))
    return {row[0]: PersonState(*row) for row in (await session.execute(query)).all()}


async def keep_alive(session: AsyncSession, *, claims: Sequence[str], until: datetime) -> int:
    """The heartbeat: extend every row still held under `claims`; how many."""
    if not claims:
        return 0
    statement = (
        update(Delivery)
        .where(Delivery.claimed_by.in_(claims), Delivery.status == "sending")
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(await session.execute(statement), "rowcount", 0))


async def release(session: AsyncSession, *, delivery_id: int, claim: str) -> None:
    """Hand a claimed row back untouched (the workspace was paused before it went out)."""
    statement = (
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claimed_by == claim)
        .where(Delivery.status == "sending")
        .values(status="pending", lease_until=None, attempts=Delivery.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)


async def expire_waiting(session: AsyncSession, *, workspace_id: int, due_before: datetime) -> int:
    """Give up rows of a workspace that have waited since before `due_before`; how many."""
    people = select(Person.id).where(Person.workspace_id == workspace_id)
    statement = (
        update(Delivery)
        .where(Delivery.person_id.in_(people.scalar_subquery()))
        .where(Delivery.status.in_(WAITING), Delivery.due_at < due_before)
        .values(status="expired", error="not sent within the grace window")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(await session.execute(statement), "rowcount", 0))


async def unplanned(session: AsyncSession, *, planned: Sequence[PlannedDelivery]) -> int:
    """How many of `planned` are not in the outbox yet (what `plan` would insert)."""
    # Few distinct slots (one per zone and week) however many people: a small IN list.
    slots = {entry.slot for entry in planned}
    query = select(Delivery.person_id, Delivery.slot).where(Delivery.slot.in_(slots))
    existing = {(row[0], row[1]) for row in (await session.execute(query)).all()}
    return sum((entry.person_id, entry.slot) not in existing for entry in planned)


async def waiting_count(session: AsyncSession, *, workspace_id: int | None = None) -> int:
    """Rows still to send (waiting or being sent), in one workspace or all."""
    query = select(func.count(Delivery.id)).where(Delivery.status.in_((*WAITING, "sending")))
    if workspace_id is not None:
        query = query.join(Person, Person.id == Delivery.person_id).where(
            Person.workspace_id == workspace_id
        )
    return int(await session.scalar(query) or 0)


@dataclass(frozen=True)
class Recipient:
    """Someone in the programme, with what decides whether a send is due for them."""

    person_id: int
    zone: str
    cadence: Cadence
    paused_until: date | None
    last_picks_at: datetime | None


async def participants(
    session: AsyncSession, *, workspace: Workspace, zone_name: str | None = None
) -> list[Recipient]:
    """Everyone in the programme who can be messaged, optionally only those in one zone.

    People imported from the org chart but never seen on the platform have no address yet.
    """
    zone = func.coalesce(func.nullif(Person.timezone, ""), workspace.timezone or "UTC")
    last = (
        select(Delivery.person_id, func.max(Delivery.due_at).label("last"))
        .where(Delivery.kind == "picks")
        .group_by(Delivery.person_id)
        .subquery()
    )
    query = (
        select(Person.id, zone, Person.cadence, Person.paused_until, last.c.last)
        .outerjoin(last, last.c.person_id == Person.id)
        .where(Person.workspace_id == workspace.id, Person.status == ProgrammeStatus.IN)
        .where(~IMPORTED)
        .order_by(Person.id)
    )
    if zone_name is not None:
        query = query.where(zone == zone_name)
    rows = (await session.execute(query)).all()
    return [Recipient(row[0], str(row[1]), row[2], row[3], _aware(row[4])) for row in rows]


def _aware(moment: datetime | None) -> datetime | None:
    # An aggregate bypasses the column type, so SQLite hands back a naive UTC timestamp.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
