"""Repository for tracked links, shares and clicks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Click, ContentItem, Link, Share
from content_store.tracked_links import new_code
from content_store.upsert import insert_or_ignore
from domain.networks import Network


async def get_or_create_link(
    session: AsyncSession, *, person_id: int, content_id: int, network: Network, now: datetime
) -> Link:
    """The one tracked link of (person, item, network); double clicks get the same link."""
    await insert_or_ignore(
        session,
        Link,
        {
            "code": new_code(),
            "person_id": person_id,
            "content_id": content_id,
            "network": network,
            "created_at": now,
        },
        conflict_columns=("person_id", "content_id", "network"),
    )
    query = select(Link).filter_by(person_id=person_id, content_id=content_id, network=network)
    return (await session.execute(query)).scalar_one()


@dataclass(frozen=True)
class ShareIntent:
    """A person pressed a network's share button with this caption."""

    person_id: int
    content_id: int
    network: Network
    source: str
    suggested_caption: str
    final_caption: str
    rewrite_ratio: float


async def record_share_intent(
    session: AsyncSession, *, intent: ShareIntent, link: Link, now: datetime
) -> Share:
    """Record the intent once; a repeated press keeps the first time and the latest caption."""
    await insert_or_ignore(
        session,
        Share,
        {
            "person_id": intent.person_id,
            "content_id": intent.content_id,
            "network": intent.network,
            "source": intent.source,
            "suggested_caption": intent.suggested_caption,
            "final_caption": intent.final_caption,
            "rewrite_ratio": intent.rewrite_ratio,
            "link_id": link.id,
            "intent_at": now,
        },
        conflict_columns=("person_id", "content_id", "network"),
    )
    share = await find_share(
        session, person_id=intent.person_id, content_id=intent.content_id, network=intent.network
    )
    assert share is not None  # inserted above or already there
    share.final_caption = intent.final_caption
    share.rewrite_ratio = intent.rewrite_ratio
    await session.flush()
    return share


async def find_share(
    session: AsyncSession, *, person_id: int, content_id: int, network: Network
) -> Share | None:
    """The person's share of an item on a network, if they started one."""
    query = select(Share).filter_by(person_id=person_id, content_id=content_id, network=network)
    return (await session.execute(query)).scalar_one_or_none()


async def confirm_share(session: AsyncSession, *, share: Share, now: datetime) -> bool:
    """Mark the share as posted; False when it already was (the first confirmation counts)."""
    if share.confirmed_at is not None:
        return False
    share.confirmed_at = now
    await session.flush()
    return True


async def resolve_link(session: AsyncSession, *, code: str) -> tuple[Link, ContentItem] | None:
    """The link with this code and the item it leads to."""
    query = (
        select(Link, ContentItem)
        .join(ContentItem, ContentItem.id == Link.content_id)
        .where(Link.code == code)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def record_click(
    session: AsyncSession, *, link_id: int, now: datetime, referrer_host: str | None
) -> None:
    """Count one human click; nothing about the visitor but the referring host is kept."""
    session.add(Click(link_id=link_id, clicked_at=now, referrer_host=referrer_host))
    await session.flush()


async def shared_content_ids(session: AsyncSession, *, person_id: int) -> frozenset[int]:
    """Items the person has started to share on any network."""
    query = select(Share.content_id).filter_by(person_id=person_id)
    return frozenset((await session.execute(query)).scalars())
