"""Previewed items waiting for the content team's Save: stored by id, taken once."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.content import NewContent
from content_store.models import PendingContent
from domain.networks import Network

# A preview left this long is forgotten: the page may have changed since it was fetched.
PENDING_KEPT = timedelta(days=1)


def to_payload(new: NewContent) -> dict[str, Any]:
    """A previewed item as JSON-ready data."""
    data = asdict(new)
    data["captions"] = {network.value: text for network, text in new.captions.items()}
    data["topics"] = list(new.topics)
    for key in ("publish_from", "publish_until"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def from_payload(data: dict[str, Any]) -> NewContent:
    """The NewContent `to_payload` wrote."""
    fields = dict(data)
    fields["captions"] = {Network(k): v for k, v in data["captions"].items()}
    fields["topics"] = tuple(data["topics"])
    for key in ("publish_from", "publish_until"):
        fields[key] = datetime.fromisoformat(data[key]) if data[key] else None
    return NewContent(**fields)


async def keep(
    session: AsyncSession, *, workspace_id: int, person_id: int, new: NewContent, now: datetime
) -> int:
    """Store a preview for its author; its id."""
    row = PendingContent(
        workspace_id=workspace_id, person_id=person_id, payload=to_payload(new), created_at=now
    )
    session.add(row)
    await session.flush()
    return row.id


async def take(
    session: AsyncSession, *, pending_id: int, workspace_id: int, person_id: int, now: datetime
) -> NewContent | None:
    """The preview with this id if it is this person's and still fresh; removed either way."""
    row = await session.get(PendingContent, pending_id)
    if row is None or (row.workspace_id, row.person_id) != (workspace_id, person_id):
        return None
    await session.delete(row)
    if now - row.created_at > PENDING_KEPT:
        return None
    return from_payload(row.payload)


async def sweep(session: AsyncSession, *, now: datetime) -> int:
    """Forget previews nobody saved within PENDING_KEPT; how many."""
    result = await session.execute(
        delete(PendingContent).where(PendingContent.created_at < now - PENDING_KEPT)
    )
    return int(getattr(result, "rowcount", 0))
