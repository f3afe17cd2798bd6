"""Appending to the interaction event log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from content_store import one_trip
from content_store.models import Event, ProcessedEvent, utcnow
from content_store.one_trip import Program
from content_store.upsert import session_dialect, statement_for, table_of
from domain.events import EventType
from insights.signals import is_nudge

INSERT_EVENT = insert(table_of(Event))


async def record_event(
    session: AsyncSession,
    *,
    workspace_id: int,
    type: EventType,
    person_id: int | None = None,
    content_id: int | None = None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one event; the payload stays small (ids, flags, numbers — no free text)."""
    # One prebuilt Core insert: the ORM's unit of work costs more than the row on hot paths.
    await session.execute(
        INSERT_EVENT,
        event_row(
            workspace_id=workspace_id,
            type=type,
            person_id=person_id,
            content_id=content_id,
            payload=payload,
            at=at,
        ),
    )


def event_row(
    *,
    workspace_id: int,
    type: EventType,
    person_id: int | None = None,
    content_id: int | None = None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Every column of one event row, `nudge` included (for `INSERT_EVENT` in a program of
    `content_store.one_trip`, where no Python-side default is filled in)."""
    values = payload or {}
    return {
        "workspace_id": workspace_id,
        "person_id": person_id,
        "content_id": content_id,
        "type": type.value,
        "payload": values,
        "created_at": at or utcnow(),
        "nudge": is_nudge(type.value, values.get("source")),
    }


async def record_events(session: AsyncSession, *, events: Sequence[dict[str, Any]]) -> None:
    """Append several events in one statement (keys as `record_event`'s arguments)."""
    if not events:
        return
    await session.execute(INSERT_EVENT, [event_row(**entry) for entry in events])


async def first_delivery(
    session: AsyncSession, *, platform: str, event_id: str, now: datetime
) -> bool:
    """True the first time a platform event id is seen; False for its retries.

    A program (`content_store.one_trip`): every Teams activity starts here, and SQLAlchemy's
    execution around one statement costs more than the statement."""
    return await one_trip.run(
        session, _first_delivery(session_dialect(session), platform, event_id[:100], now)
    )


def _first_delivery(dialect: str, platform: str, event_id: str, now: datetime) -> Program[bool]:
    rows = yield (
        statement_for(
            dialect,
            table_of(ProcessedEvent),
            ("platform", "event_id"),
            update=None,
            returning=("event_id",),
        ),
        {"platform": platform, "event_id": event_id, "received_at": now},
    )
    return bool(rows)


async def forget_processed_events(session: AsyncSession, *, before: datetime) -> int:
    """Drop event ids older than any retry could be (platforms retry within minutes)."""
    result = await session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.received_at < before)
    )
    return int(getattr(result, "rowcount", 0))
