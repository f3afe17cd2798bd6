"""Appending to the interaction event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Event, utcnow
from domain.events import EventType


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
    session.add(
        Event(
            workspace_id=workspace_id,
            person_id=person_id,
            content_id=content_id,
            type=type.value,
            payload=payload or {},
            created_at=at or utcnow(),
        )
    )
