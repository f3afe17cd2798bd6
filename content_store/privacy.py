"""A person's own data: export it, erase it; and the retention limit for everyone's detail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import (
    AuditEntry,
    Base,
    Click,
    ContentItem,
    Delivery,
    DeliveryItem,
    Event,
    Feedback,
    Link,
    Person,
    PersonInsight,
    PersonRole,
    PersonTopic,
    Share,
    StoredDigest,
    Topic,
)


def _row(obj: Base, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    values = {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs if c.key not in skip}
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


async def _rows(session: AsyncSession, model: type[Base], *criteria: Any) -> list[dict[str, Any]]:
    result = await session.execute(select(model).where(*criteria))
    return [_row(obj) for obj in result.scalars()]


async def export_person(session: AsyncSession, *, person_id: int) -> dict[str, Any]:
    """Everything stored about one person, as plain JSON-ready data."""
    person = await session.get(Person, person_id)
    if person is None:
        raise LookupError(f"no person {person_id}")
    topics = await session.execute(
        select(Topic.slug, PersonTopic.chosen, PersonTopic.inferred_weight)
        .join(Topic, Topic.id == PersonTopic.topic_id)
        .where(PersonTopic.person_id == person_id)
    )
    deliveries = select(Delivery.id).where(Delivery.person_id == person_id)
    return {
        "person": _row(person),
        "roles": [
            r["role"] for r in await _rows(session, PersonRole, PersonRole.person_id == person_id)
        ],
        "topics": [
            {"topic": slug, "chosen": chosen, "inferred_weight": weight}
            for slug, chosen, weight in topics
        ],
        "deliveries": await _rows(session, Delivery, Delivery.person_id == person_id),
        "delivered_items": await _rows(
            session, DeliveryItem, DeliveryItem.delivery_id.in_(deliveries)
        ),
        "feedback": await _rows(session, Feedback, Feedback.person_id == person_id),
        "shares": await _rows(session, Share, Share.person_id == person_id),
        "links": await _rows(session, Link, Link.person_id == person_id),
        "clicks": await _rows(
            session, Click, Click.link_id.in_(select(Link.id).where(Link.person_id == person_id))
        ),
        "events": await _rows(session, Event, Event.person_id == person_id),
        "insight": await _rows(session, PersonInsight, PersonInsight.person_id == person_id),
        "suggested_content": await _rows(
            session, ContentItem, ContentItem.suggested_by_id == person_id
        ),
    }


async def erase_person(session: AsyncSession, *, person_id: int) -> None:
    """Delete or anonymise every personal row of one person, in one transaction.

    Rows that only count (shares, links, clicks) stay as anonymous totals; what the person
    wrote, chose or did is deleted; references from other rows are cleared.
    """
    await session.execute(
        update(Share)
        .where(Share.person_id == person_id)
        .values(person_id=None, suggested_caption=None, final_caption=None)
    )
    await session.execute(update(Link).where(Link.person_id == person_id).values(person_id=None))
    for column in (ContentItem.created_by_id, ContentItem.suggested_by_id):
        await session.execute(update(ContentItem).where(column == person_id).values({column: None}))
    await session.execute(
        update(AuditEntry).where(AuditEntry.actor_id == person_id).values(actor_id=None)
    )
    await session.execute(
        update(Person).where(Person.manager_id == person_id).values(manager_id=None)
    )
    for model in (Event, Feedback, PersonTopic, PersonRole, Delivery, PersonInsight):
        await session.execute(delete(model).where(model.person_id == person_id))
    await session.execute(delete(Person).where(Person.id == person_id))


DIGEST_KEPT = timedelta(days=14)


async def purge_expired_detail(session: AsyncSession, *, now: datetime, retention_days: int) -> int:
    """Delete clicks and events older than the retention period; returns rows removed."""
    cutoff = now - timedelta(days=retention_days)
    clicks = await session.execute(delete(Click).where(Click.clicked_at < cutoff))
    events = await session.execute(delete(Event).where(Event.created_at < cutoff))
    # A digest's figures are kept only until it is sent; one never sent is of no use later.
    digests = await session.execute(
        delete(StoredDigest).where(StoredDigest.created_at < now - DIGEST_KEPT)
    )
    return sum(int(getattr(result, "rowcount", 0)) for result in (clicks, events, digests))
