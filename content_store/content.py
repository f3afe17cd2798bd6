"""Repository for the content library: items, their topics and captions, suggestions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import ContentCaption, ContentItem, ContentTopic, Topic
from content_store.people import topic_ids
from domain.errors import InvalidInput
from domain.networks import Network
from domain.programme import ContentStatus

MAX_PRIORITY = 3


@dataclass(frozen=True)
class NewContent:
    """What the content team (or an employee suggesting) provides for a new item."""

    canonical_url: str
    title: str
    description: str = ""
    image_url: str | None = None
    site_name: str | None = None
    topics: tuple[str, ...] = ()
    captions: dict[Network, str] = field(default_factory=dict)
    publish_from: datetime | None = None
    publish_until: datetime | None = None
    priority: int = 0


def status_for(
    *, publish_from: datetime, publish_until: datetime | None, now: datetime
) -> ContentStatus:
    """Scheduled before its window, active inside it, expired after it."""
    if publish_until is not None and publish_until <= now:
        return ContentStatus.EXPIRED
    return ContentStatus.SCHEDULED if publish_from > now else ContentStatus.ACTIVE


def window_error() -> InvalidInput:
    """The refusal for a publication window that ends before it starts."""
    return InvalidInput("content.window", "The end date must come after the start of publication.")


def _check_window(new: NewContent, *, now: datetime) -> datetime:
    publish_from = new.publish_from or now
    if new.publish_until is not None and new.publish_until <= publish_from:
        raise window_error()
    if not 0 <= new.priority <= MAX_PRIORITY:
        raise InvalidInput(
            "content.priority", "Priority must be between 0 and {max}.", max=MAX_PRIORITY
        )
    return publish_from


async def find_by_url(
    session: AsyncSession, *, workspace_id: int, canonical_url: str
) -> ContentItem | None:
    """The item with this canonical URL, if the library has it."""
    query = select(ContentItem).filter_by(workspace_id=workspace_id, canonical_url=canonical_url)
    return (await session.execute(query)).scalar_one_or_none()


def duplicate_error(existing: ContentItem) -> InvalidInput:
    """The refusal for a URL the library already holds."""
    return InvalidInput(
        "content.duplicate",
        "That link is already in the library as item {id} ({title}).",
        id=existing.id,
        title=existing.title[:80],
    )


async def add_content(
    session: AsyncSession,
    *,
    workspace_id: int,
    new: NewContent,
    now: datetime,
    created_by_id: int | None = None,
    suggested_by_id: int | None = None,
) -> ContentItem:
    """Save a new item (or a suggestion awaiting approval); refuses duplicate URLs."""
    publish_from = _check_window(new, now=now)
    existing = await find_by_url(
        session, workspace_id=workspace_id, canonical_url=new.canonical_url
    )
    if existing is not None:
        raise duplicate_error(existing)
    status = (
        ContentStatus.SUGGESTED
        if suggested_by_id is not None
        else status_for(publish_from=publish_from, publish_until=new.publish_until, now=now)
    )
    item = ContentItem(
        workspace_id=workspace_id,
        canonical_url=new.canonical_url,
        title=new.title,
        description=new.description,
        image_url=new.image_url,
        site_name=new.site_name,
        status=status,
        publish_from=publish_from,
        publish_until=new.publish_until,
        priority=new.priority,
        created_by_id=created_by_id,
        suggested_by_id=suggested_by_id,
        created_at=now,
        updated_at=now,
    )
    await _insert_guarding_race(session, item)
    await set_topics(session, item=item, slugs=new.topics)
    await set_captions(session, content_id=item.id, captions=new.captions)
    return item


async def _insert_guarding_race(session: AsyncSession, item: ContentItem) -> None:
    # Two people adding the same URL at once: the unique constraint decides, inside a
    # savepoint so the caller's transaction survives to report the duplicate.
    try:
        async with session.begin_nested():
            session.add(item)
    except IntegrityError:
        existing = await find_by_url(
            session, workspace_id=item.workspace_id, canonical_url=item.canonical_url
        )
        if existing is None:
            raise
        raise duplicate_error(existing) from None


async def set_topics(session: AsyncSession, *, item: ContentItem, slugs: Iterable[str]) -> None:
    """Make exactly these the item's topics."""
    ids = await topic_ids(session, workspace_id=item.workspace_id, slugs=slugs)
    query = select(ContentTopic).filter_by(content_id=item.id)
    rows = list((await session.execute(query)).scalars())
    for row in rows:
        if row.topic_id not in ids.values():
            await session.delete(row)
    existing = {row.topic_id for row in rows}
    session.add_all(
        ContentTopic(content_id=item.id, topic_id=topic_id)
        for topic_id in set(ids.values()) - existing
    )
    await session.flush()


async def set_captions(
    session: AsyncSession, *, content_id: int, captions: dict[Network, str]
) -> None:
    """Set (or replace) the content team's caption for each network given."""
    for network, text in captions.items():
        row = await session.get(ContentCaption, (content_id, network))
        if row is None:
            session.add(ContentCaption(content_id=content_id, network=network, text=text))
        else:
            row.text = text
    await session.flush()


async def get_content(session: AsyncSession, *, workspace_id: int, content_id: int) -> ContentItem:
    """The item with this id in the workspace; refuses unknown ids."""
    item = await session.get(ContentItem, content_id)
    if item is None or item.workspace_id != workspace_id:
        raise InvalidInput("content.unknown", "There is no content item {id}.", id=content_id)
    return item


async def list_content(
    session: AsyncSession,
    *,
    workspace_id: int,
    statuses: Sequence[ContentStatus],
    limit: int = 50,
    offset: int = 0,
) -> list[ContentItem]:
    """Items in these statuses, newest first, one page at a time."""
    query = (
        select(ContentItem)
        .where(ContentItem.workspace_id == workspace_id, ContentItem.status.in_(statuses))
        .order_by(ContentItem.created_at.desc(), ContentItem.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list((await session.execute(query)).scalars())


async def topics_by_content(
    session: AsyncSession, *, content_ids: Iterable[int]
) -> dict[int, list[str]]:
    """Topic slugs of each item, alphabetically."""
    query = (
        select(ContentTopic.content_id, Topic.slug)
        .join(Topic, Topic.id == ContentTopic.topic_id)
        .where(ContentTopic.content_id.in_(list(content_ids)))
        .order_by(Topic.slug)
    )
    topics: dict[int, list[str]] = defaultdict(list)
    for content_id, slug in await session.execute(query):
        topics[content_id].append(slug)
    return dict(topics)


async def captions_by_content(
    session: AsyncSession, *, content_ids: Sequence[int]
) -> dict[int, dict[Network, str]]:
    """The content team's captions for several items at once: item id → network → text."""
    query = select(ContentCaption).where(ContentCaption.content_id.in_(content_ids))
    found: dict[int, dict[Network, str]] = {}
    for row in (await session.execute(query)).scalars():
        found.setdefault(row.content_id, {})[row.network] = row.text
    return found


async def change_status(
    session: AsyncSession,
    *,
    item: ContentItem,
    to: ContentStatus,
    allowed_from: Iterable[ContentStatus],
    now: datetime,
) -> None:
    """Move an item to another status, refusing moves that make no sense."""
    # One message per target ("already retired", "only suggestions can be approved"): a sentence
    # built from two status words read "Item 5 is retired; it cannot become retired".
    if item.status is to:
        raise InvalidInput(
            f"content.already.{to.value}", "Item {id} is already {status}.", id=item.id, status=to
        )
    if item.status not in set(allowed_from):
        raise InvalidInput(
            f"content.cannot.{to.value}",
            "Item {id} is {status}; it cannot become {to}.",
            id=item.id,
            status=item.status.value,
            to=to.value,
        )
    item.status = to
    item.updated_at = now
    await session.flush()


async def refresh_statuses(session: AsyncSession, *, now: datetime) -> None:
    """Start scheduled items whose window opened and expire those whose window closed."""
    live = [ContentStatus.SCHEDULED, ContentStatus.ACTIVE]
    await session.execute(
        update(ContentItem)
        .where(ContentItem.status.in_(live), ContentItem.publish_until <= now)
        .values(status=ContentStatus.EXPIRED, updated_at=now)
    )
    await session.execute(
        update(ContentItem)
        .where(ContentItem.status == ContentStatus.SCHEDULED, ContentItem.publish_from <= now)
        .values(status=ContentStatus.ACTIVE, updated_at=now)
    )


async def live_content(
    session: AsyncSession, *, workspace_id: int, now: datetime
) -> list[ContentItem]:
    """Items whose publish window contains `now` (scheduled ones whose window just opened too)."""
    query = select(ContentItem).where(
        ContentItem.workspace_id == workspace_id,
        ContentItem.status.in_([ContentStatus.ACTIVE, ContentStatus.SCHEDULED]),
        ContentItem.publish_from <= now,
        or_(ContentItem.publish_until.is_(None), ContentItem.publish_until > now),
    )
    return list((await session.execute(query)).scalars())


def is_live(item: ContentItem, *, now: datetime) -> bool:
    """True when the item may be offered and shared at `now`."""
    return is_live_at(
        status=item.status,
        publish_from=item.publish_from,
        publish_until=item.publish_until,
        now=now,
    )


def is_live_at(
    *, status: ContentStatus, publish_from: datetime, publish_until: datetime | None, now: datetime
) -> bool:
    """`is_live` for an item read as plain values."""
    if status not in (ContentStatus.ACTIVE, ContentStatus.SCHEDULED):
        return False
    window = status_for(publish_from=publish_from, publish_until=publish_until, now=now)
    return window is ContentStatus.ACTIVE
