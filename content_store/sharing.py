"""Repository for tracked links, shares and clicks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from content_store import one_trip
from content_store.events import INSERT_EVENT
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
from content_store.one_trip import Program
from content_store.people import MEMBER, Member, roles_from
from content_store.upsert import insert_or_ignore, session_dialect, statement_for, table_of
from domain.errors import InvalidInput
from domain.networks import Network
from domain.programme import ContentStatus, ProgrammeStatus
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


# One link and one share per person, item and network.
_ONE_EACH = ("person_id", "content_id", "network")
# A repeated press keeps the share's first time and takes the latest caption.
_NEW_CAPTION = (
    update(table_of(Share))
    .where(Share.person_id == bindparam("person"))
    .where(Share.content_id == bindparam("item"))
    .where(Share.network == bindparam("on"))
    .values(final_caption=bindparam("caption"), rewrite_ratio=bindparam("ratio"))
)

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


# A share press's first read for a program (`read_press`): the columns it needs of the workspace,
# the known person and the item, with the suggested caption; no row for an unknown person.
_PRESS = (
    select(
        Workspace.id,
        Workspace.locale,
        Workspace.paused,
        Workspace.disclosure_line,
        Workspace.guidelines,
        Person.id,
        Person.status,
        Person.locale,
        Person.timezone,
        Person.display_name,
        Person.email,
        ContentItem.id,
        ContentItem.title,
        ContentItem.status,
        ContentItem.publish_from,
        ContentItem.publish_until,
        _SENT_TO_MEMBER,
        _TEAM_CAPTION,
    )
    .select_from(Workspace)
    .join(
        Person,
        and_(Person.workspace_id == Workspace.id, Person.external_id == bindparam("person")),
    )
    .outerjoin(
        ContentItem,
        and_(ContentItem.workspace_id == Workspace.id, ContentItem.id == bindparam("content_id")),
    )
    .where(Workspace.platform == bindparam("platform"))
    .where(Workspace.external_id == bindparam("workspace"))
)


@dataclass(frozen=True)
class PressedItem:
    """What a share press needs of the item: what it is called and whether it is live."""

    id: int
    title: str
    status: ContentStatus
    publish_from: datetime
    publish_until: datetime | None


@dataclass(frozen=True)
class Presser:
    """A known person pressing share, their workspace's settings, and the item (None when
    unknown in the workspace) with the caption suggested to them."""

    workspace_id: int
    workspace_locale: str
    paused: bool
    disclosure_line: str
    guidelines: str
    person_id: int
    status: ProgrammeStatus
    locale: str | None
    timezone: str | None
    display_name: str
    email: str | None
    item: PressedItem | None
    suggested: str


def read_press(
    *,
    platform: str,
    workspace_external_id: str,
    external_id: str,
    content_id: int,
    network: Network,
) -> Program[Presser | None]:
    """`member_and_item` as a program step, plain values instead of ORM objects; None unless
    the workspace and the person are known."""
    rows = yield (
        _PRESS,
        {
            "platform": platform,
            "workspace": workspace_external_id,
            "person": external_id,
            "content_id": content_id,
            "network": network,
        },
    )
    if not rows:
        return None
    row = rows[0]
    item = None if row[11] is None else PressedItem(*row[11:16])
    sent_caption, team_caption = row[16], row[17]
    suggested = sent_caption if sent_caption is not None else (team_caption or "")
    return Presser(
        workspace_id=row[0],
        workspace_locale=row[1],
        paused=row[2],
        disclosure_line=row[3],
        guidelines=row[4],
        person_id=row[5],
        status=row[6],
        locale=row[7],
        timezone=row[8],
        display_name=row[9],
        email=row[10],
        item=item,
        suggested=suggested,
    )


async def link_for(
    session: AsyncSession, *, person_id: int, content_id: int, network: Network, now: datetime
) -> tuple[int, str]:
    """The id and code of the one tracked link of (person, item, network), made if missing."""
    return await one_trip.run(
        session,
        _link(
            session_dialect(session),
            person_id=person_id,
            content_id=content_id,
            network=network,
            now=now,
        ),
    )


def _link(
    dialect: str, *, person_id: int, content_id: int, network: Network, now: datetime
) -> Program[tuple[int, str]]:
    # With nothing to update the row already there is left as it is, and still returned: one
    # statement for "get or create", safe when two presses race.
    rows = yield (
        statement_for(dialect, table_of(Link), _ONE_EACH, update=(), returning=("id", "code")),
        {
            "code": new_code(),
            "person_id": person_id,
            "content_id": content_id,
            "network": network,
            "created_at": now,
        },
    )
    return int(rows[0][0]), str(rows[0][1])


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


@dataclass(frozen=True)
class ShareStart:
    """What a share press recorded: the tracked link, the intent, and whether it started the
    share (False for a repeated press, which kept the first time and took the new caption)."""

    link_id: int
    code: str
    intent: ShareIntent
    started: bool


async def start_share(
    session: AsyncSession,
    *,
    person_id: int,
    content_id: int,
    network: Network,
    now: datetime,
    intent_for: Callable[[str], ShareIntent],
    event_for: Callable[[ShareIntent], dict[str, Any]],
) -> ShareStart:
    """A share press's writes in one trip to the database (`content_store.one_trip`).

    The link is made if missing; `intent_for(code)` then gives the intent (the caption is
    checked against the network's allowance next to that link: raising there writes nothing).
    The intent is recorded once; the press that started the share also appends
    `event_for(intent)` (a row of `content_store.events.event_row`), a repeated one updates the
    caption. The database decides which press is first, so two racing presses cannot both be.
    `intent_for` and `event_for` may run on the database's thread: plain computation only.
    """
    dialect = session_dialect(session)
    program = start_share_program(
        dialect,
        person_id=person_id,
        content_id=content_id,
        network=network,
        now=now,
        intent_for=intent_for,
        event_for=event_for,
    )
    return await one_trip.run(session, program)


def start_share_program(
    dialect: str,
    *,
    person_id: int,
    content_id: int,
    network: Network,
    now: datetime,
    intent_for: Callable[[str], ShareIntent],
    event_for: Callable[[ShareIntent], dict[str, Any]],
) -> Program[ShareStart]:
    """`start_share`'s steps, for a program that reads first (`dialect`: the database's)."""
    link_id, code = yield from _link(
        dialect, person_id=person_id, content_id=content_id, network=network, now=now
    )
    intent = intent_for(code)
    started = bool(
        (
            yield (
                statement_for(dialect, table_of(Share), _ONE_EACH, update=None, returning=("id",)),
                {**_share_row(intent), "link_id": link_id, "intent_at": now},
            )
        )
    )
    if started:
        yield INSERT_EVENT, event_for(intent)
    else:
        yield _NEW_CAPTION, _new_caption(intent)
    return ShareStart(link_id, code, intent, started)


def _share_row(intent: ShareIntent) -> dict[str, Any]:
    return {
        "person_id": intent.person_id,
        "content_id": intent.content_id,
        "network": intent.network,
        "source": intent.source,
        "suggested_caption": intent.suggested_caption,
        "final_caption": intent.final_caption,
        "rewrite_ratio": intent.rewrite_ratio,
    }


def _new_caption(intent: ShareIntent) -> dict[str, Any]:
    """`_NEW_CAPTION`'s values for a repeated press."""
    return {
        "person": intent.person_id,
        "item": intent.content_id,
        "on": intent.network,
        "caption": intent.final_caption,
        "ratio": intent.rewrite_ratio,
    }


async def record_share_intent(
    session: AsyncSession, *, intent: ShareIntent, link_id: int, now: datetime
) -> bool:
    """Record the intent once; a repeated press keeps the first time and the latest caption
    (for seeding tests and imports: a press goes through `start_share`). True when this call
    started the share."""
    started = await insert_or_ignore(
        session,
        Share,
        {**_share_row(intent), "link_id": link_id, "intent_at": now},
        conflict_columns=_ONE_EACH,
    )
    if not started:
        await session.execute(_NEW_CAPTION, _new_caption(intent))
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
