"""Repository for tracked links, shares and clicks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import (
    Click,
    ContentCaption,
    ContentItem,
    Delivery,
    DeliveryItem,
    Link,
    Person,
    Share,
    Workspace,
)
from content_store.people import MEMBER, Member, roles_from
from content_store.upsert import insert_or_ignore, table_of, upsert_returning
from domain.errors import InvalidInput
from domain.networks import Network
from links.tracked_links import new_code

_SENT_CAPTION = (
    select(DeliveryItem.suggested_caption)
    .join(Delivery, Delivery.id == DeliveryItem.delivery_id)
    .where(Delivery.person_id == bindparam("person_id"))
    .where(DeliveryItem.content_id == bindparam("content_id"))
    .order_by(Delivery.id.desc())
    .limit(1)
    .scalar_subquery()
)
_TEAM_CAPTION = (
    select(ContentCaption.text)
    .where(ContentCaption.content_id == bindparam("content_id"))
    .where(ContentCaption.network == bindparam("network"))
    .scalar_subquery()
)
# Built once (every share press runs it); the parameters name the person, item and network.
_ITEM_TO_SHARE = (
    select(ContentItem, _SENT_CAPTION, _TEAM_CAPTION)
    .where(ContentItem.id == bindparam("content_id"))
    .where(ContentItem.workspace_id == bindparam("workspace_id"))
)


def unknown_item(content_id: int) -> InvalidInput:
    """The refusal of a content id unknown in the person's workspace."""
    return InvalidInput("content.unknown", "There is no content item {id}.", id=content_id)


async def item_to_share(
    session: AsyncSession, *, workspace_id: int, person_id: int, content_id: int, network: Network
) -> tuple[ContentItem, str]:
    """The item and the caption suggested to this person for it, in one query.

    The suggestion is the one last sent to them, else the content team's for the network (what
    their edit is measured against). Refuses ids unknown in the workspace.
    """
    parameters = {
        "workspace_id": workspace_id,
        "person_id": person_id,
        "content_id": content_id,
        "network": network,
    }
    row = (await session.execute(_ITEM_TO_SHARE, parameters)).one_or_none()
    if row is None:
        raise unknown_item(content_id)
    item, sent_caption, team_caption = row
    return item, sent_caption if sent_caption is not None else (team_caption or "")


# A share press's first query: the workspace, the person and their roles, the item and the
# suggested caption, by the platform's ids (the two queries of find_member and item_to_share).
_SENT_TO_MEMBER = (
    select(DeliveryItem.suggested_caption)
    .join(Delivery, Delivery.id == DeliveryItem.delivery_id)
    .where(Delivery.person_id == Person.id)
    .where(DeliveryItem.content_id == bindparam("content_id"))
    .order_by(Delivery.id.desc())
    .limit(1)
    .scalar_subquery()
)
# `find_member`'s query with the item and its suggested caption alongside.
_MEMBER_AND_ITEM = MEMBER.add_columns(ContentItem, _SENT_TO_MEMBER, _TEAM_CAPTION).outerjoin(
    ContentItem,
    and_(ContentItem.workspace_id == Workspace.id, ContentItem.id == bindparam("content_id")),
)


@dataclass(frozen=True)
class MemberAndItem:
    """A known person, and the item they pressed with its suggested caption (None if unknown
    in their workspace)."""

    member: Member
    item: ContentItem | None
    suggested: str


async def member_and_item(
    session: AsyncSession,
    *,
    platform: str,
    workspace_external_id: str,
    external_id: str,
    content_id: int,
    network: Network,
) -> MemberAndItem | None:
    """`find_member` and `item_to_share` in one round trip; None unless both the workspace and
    the person are known (the caller then takes the first-sight path)."""
    parameters = {
        "platform": platform,
        "workspace": workspace_external_id,
        "person": external_id,
        "content_id": content_id,
        "network": network,
    }
    row = (await session.execute(_MEMBER_AND_ITEM, parameters)).one_or_none()
    if row is None or row[1] is None:
        return None
    workspace, person, joined, item, sent_caption, team_caption = row
    suggested = sent_caption if sent_caption is not None else (team_caption or "")
    return MemberAndItem(Member(workspace, person, roles_from(joined)), item, suggested)


async def link_for(
    session: AsyncSession, *, person_id: int, content_id: int, network: Network, now: datetime
) -> tuple[int, str]:
    """The id and code of the one tracked link of (person, item, network), made if missing."""
    row = await upsert_returning(
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
        update_columns=(),
        returning=("id", "code"),
    )
    return int(row.id), str(row.code)


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
    session: AsyncSession, *, intent: ShareIntent, link_id: int, now: datetime
) -> bool:
    """Record the intent once; a repeated press keeps the first time and the latest caption.

    True when this press started the share. The database decides, in the same statement, so
    two presses racing each other cannot both count as the first.
    """
    started = await insert_or_ignore(
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
            "link_id": link_id,
            "intent_at": now,
        },
        conflict_columns=("person_id", "content_id", "network"),
    )
    if not started:
        await session.execute(
            update(table_of(Share))
            .where(Share.person_id == intent.person_id)
            .where(Share.content_id == intent.content_id)
            .where(Share.network == intent.network)
            .values(final_caption=intent.final_caption, rewrite_ratio=intent.rewrite_ratio)
        )
    return started


async def find_share(
    session: AsyncSession, *, person_id: int, content_id: int, network: Network
) -> Share | None:
    """The person's share of an item on a network, if they started one."""
    query = select(Share).filter_by(person_id=person_id, content_id=content_id, network=network)
    return (await session.execute(query)).scalar_one_or_none()


async def shared_networks(
    session: AsyncSession, *, person_id: int, content_ids: Sequence[int]
) -> dict[int, list[Network]]:
    """For each item, the networks the person started a share on, in the networks' order."""
    if not content_ids:
        return {}
    query = select(Share.content_id, Share.network).where(
        Share.person_id == person_id, Share.content_id.in_(content_ids)
    )
    found: dict[int, set[Network]] = {}
    for content_id, network in (await session.execute(query)).all():
        found.setdefault(content_id, set()).add(Network(network))
    return {item: [n for n in Network if n in nets] for item, nets in found.items()}


async def confirmed_networks(
    session: AsyncSession, *, person_id: int, content_id: int
) -> list[Network]:
    """The networks the person confirmed posting an item on, in the networks' order."""
    query = select(Share.network).where(
        Share.person_id == person_id,
        Share.content_id == content_id,
        Share.confirmed_at.is_not(None),
    )
    found = {Network(row) for row in (await session.execute(query)).scalars()}
    return [network for network in Network if network in found]


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
