"""Programme and per-item figures as SQL aggregates (never Python loops over rows)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Click, ContentItem, DeliveryItem, Link, Person, Share


@dataclass(frozen=True)
class ItemFigures:
    """How one item did."""

    content_id: int
    title: str
    shown: int
    share_intents: int
    confirmed: dict[str, int]
    average_rewrite: float | None
    clicks: int


@dataclass(frozen=True)
class ProgrammeFigures:
    """How the programme does as a whole."""

    people_by_status: dict[str, int]
    sharers: int
    share_intents: int
    confirmed_shares: int
    clicks: int


async def item_figures(session: AsyncSession, *, workspace_id: int, content_id: int) -> ItemFigures:
    """Shown, share intents, confirmations per network, average rewrite and clicks of an item."""
    item = await session.get(ContentItem, content_id)
    if item is None or item.workspace_id != workspace_id:
        raise LookupError(content_id)
    shown = await session.scalar(
        select(func.count()).select_from(DeliveryItem).where(DeliveryItem.content_id == content_id)
    )
    intents, average = (
        await session.execute(
            select(func.count(), func.avg(Share.rewrite_ratio)).where(
                Share.content_id == content_id
            )
        )
    ).one()
    confirmed = await session.execute(
        select(Share.network, func.count())
        .where(Share.content_id == content_id, Share.confirmed_at.is_not(None))
        .group_by(Share.network)
    )
    clicks = await session.scalar(
        select(func.count()).select_from(Click).join(Link).where(Link.content_id == content_id)
    )
    return ItemFigures(
        content_id=content_id,
        title=item.title,
        shown=int(shown or 0),
        share_intents=int(intents or 0),
        confirmed={network.value: int(count) for network, count in confirmed},
        average_rewrite=float(average) if average is not None else None,
        clicks=int(clicks or 0),
    )


async def programme_figures(session: AsyncSession, *, workspace_id: int) -> ProgrammeFigures:
    """People per programme status, sharers, shares and clicks in the workspace."""
    statuses = await session.execute(
        select(Person.status, func.count())
        .where(Person.workspace_id == workspace_id)
        .group_by(Person.status)
    )
    in_workspace = ContentItem.workspace_id == workspace_id
    shares = (
        await session.execute(
            select(
                func.count(),
                func.count(Share.confirmed_at),
                func.count(func.distinct(Share.person_id)),
            )
            .join(ContentItem, ContentItem.id == Share.content_id)
            .where(in_workspace)
        )
    ).one()
    clicks = await session.scalar(
        select(func.count()).select_from(Click).join(Link).join(ContentItem).where(in_workspace)
    )
    return ProgrammeFigures(
        people_by_status={status.value: int(count) for status, count in statuses},
        sharers=int(shares[2]),
        share_intents=int(shares[0]),
        confirmed_shares=int(shares[1]),
        clicks=int(clicks or 0),
    )
