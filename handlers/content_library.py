"""The content team's library: add, list, retire, approve; and employees' suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from content_store import content as library
from content_store import pending_content
from content_store.content import NewContent
from content_store.models import ContentItem
from domain.errors import InvalidInput
from domain.events import EventType
from domain.networks import Network
from domain.programme import ContentStatus, Role
from handlers import actions, button_values
from handlers.context import (
    Caller,
    Services,
    audit,
    load_caller,
    record_for,
    require_participant,
    require_role,
)
from handlers.types import Actions, Actor, Button, ItemSummary, Reply, Text
from links.fetcher import PageMetadata, fetch_page_metadata
from links.urls import canonicalise_url
from messages import format_day, translate

PAGE_SIZE = 20
LISTED = (ContentStatus.ACTIVE, ContentStatus.SCHEDULED, ContentStatus.SUGGESTED)


@dataclass(frozen=True)
class AddRequest:
    """`add <url> [#topic ...] [caption "..."] [until YYYY-MM-DD] [priority N]`."""

    url: str
    topics: tuple[str, ...] = ()
    caption: str | None = None
    until: datetime | None = None
    starts: datetime | None = None
    priority: int = 0
    captions: dict[Network, str] = field(default_factory=dict)


async def _fetch(services: Services, url: str) -> PageMetadata:
    canonical = canonicalise_url(url)
    return await fetch_page_metadata(canonical, policy=services.fetch_policy)


def _new_content(page: PageMetadata, request: AddRequest) -> NewContent:
    captions = dict(request.captions)
    if request.caption:
        captions = {network: request.caption for network in Network} | captions
    return NewContent(
        canonical_url=canonicalise_url(page.url),
        title=page.title,
        description=page.description,
        image_url=page.image_url,
        site_name=page.site_name,
        topics=request.topics,
        captions=captions,
        publish_from=request.starts,
        publish_until=request.until,
        priority=request.priority,
    )


async def preview_content(services: Services, actor: Actor, request: AddRequest) -> NewContent:
    """Fetch the page and return what would be saved, without saving or keeping anything.

    The role is checked before the page is fetched: nobody else makes the server fetch.
    """
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        await _refuse_duplicate(session, caller.workspace.id, request.url)
    return _new_content(await _fetch(services, request.url), request)


async def preview(services: Services, actor: Actor, request: AddRequest) -> Reply:
    """Show what would be saved, with Save and Cancel; nothing is saved yet.

    The preview is kept server-side under an id: the buttons carry only that id, so what is
    saved is what was fetched and checked here, whatever a client sends back.
    """
    new = await preview_content(services, actor, request)
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        # The page may have redirected to an address the library already has.
        await _refuse_duplicate(session, caller.workspace.id, new.canonical_url)
        pending_id = await pending_content.keep(
            session,
            workspace_id=caller.workspace.id,
            person_id=caller.person.id,
            new=new,
            now=services.clock.now(),
        )
    return preview_reply(new, caller.locale, pending_id=pending_id)


async def _refuse_duplicate(session: AsyncSession, workspace_id: int, url: str) -> None:
    existing = await library.find_by_url(
        session, workspace_id=workspace_id, canonical_url=canonicalise_url(url)
    )
    if existing is not None:
        raise library.duplicate_error(existing)


def preview_reply(new: NewContent, locale: str, *, pending_id: int) -> Reply:
    """What will be saved, only the fields that are set, with Save and Cancel."""
    details = [new.description, new.canonical_url]
    if new.topics:
        details.append(" ".join(f"#{t}" for t in new.topics))
    if new.publish_until:
        until = format_day(new.publish_until.date(), locale)
        details.append(translate("content.preview.until", locale, until=until))
    if new.priority:
        details.append(translate("content.preview.priority", locale, priority=new.priority))
    caption = next(iter(new.captions.values()), None)
    if caption:
        details.append(translate("content.preview.caption", locale, caption=caption))
    value = str(pending_id)
    buttons = (
        Button(translate("content.preview.save", locale), actions.CONTENT_SAVE, value, "primary"),
        Button(translate("content.preview.cancel", locale), actions.CONTENT_CANCEL, value),
    )
    return Reply(
        blocks=(
            Text(translate("content.preview.title", locale), heading=True),
            ItemSummary(
                new.title, new.canonical_url, "\n".join(filter(None, details)), new.image_url
            ),
            Actions(buttons),
        )
    )


async def save_preview(services: Services, actor: Actor, value: str) -> Reply:
    """Save the item previewed under `value`: once, by the person who previewed it."""
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        new = await pending_content.take(
            session,
            pending_id=button_values.content_id(value),
            workspace_id=caller.workspace.id,
            person_id=caller.person.id,
            now=now,
        )
        if new is None:
            raise InvalidInput("content.preview_gone", "That preview has expired; run 'add' again.")
        item = await _save(session, caller, new, now=now)
    return _added(item, caller.locale)


async def cancel_preview(services: Services, actor: Actor, value: str) -> Reply:
    """Forget the item previewed under `value`."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await pending_content.take(
            session,
            pending_id=button_values.content_id(value),
            workspace_id=caller.workspace.id,
            person_id=caller.person.id,
            now=services.clock.now(),
        )
    return Reply.text(translate("content.preview.cancelled", caller.locale))


async def add(services: Services, actor: Actor, new: NewContent) -> Reply:
    """Save a new item straight away (the CLI and tests; chat goes through a preview)."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        item = await _save(session, caller, new, now=services.clock.now())
    return _added(item, caller.locale)


async def _save(
    session: AsyncSession, caller: Caller, new: NewContent, *, now: datetime
) -> ContentItem:
    item = await library.add_content(
        session,
        workspace_id=caller.workspace.id,
        new=new,
        now=now,
        created_by_id=caller.person.id,
    )
    audit(session, caller, "content.add", item.canonical_url, id=item.id)
    return item


def _added(item: ContentItem, locale: str) -> Reply:
    return Reply.text(
        translate(
            "content.added",
            locale,
            id=item.id,
            title=item.title,
            status=translate(f"content.state.{item.status.value}", locale),
        )
    )


async def suggest(services: Services, actor: Actor, url: str) -> Reply:
    """An employee suggests a page; it waits for the content team's approval.

    Only people in the programme may; they are checked before the page is fetched, so
    nobody else can make the server contact an address or read a page.
    """
    async with services.db.session() as session:
        require_participant(await load_caller(session, actor, services), while_paused=True)
    page = await _fetch(services, url)
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        # Checked again: the person may have left the programme during the fetch.
        require_participant(caller, while_paused=True)
        item = await library.add_content(
            session,
            workspace_id=caller.workspace.id,
            new=_new_content(page, AddRequest(url=url)),
            now=now,
            suggested_by_id=caller.person.id,
        )
        await record_for(session, caller, EventType.CONTENT_SUGGESTED, at=now, content_id=item.id)
    return Reply.text(translate("content.suggested", caller.locale, title=item.title))


def _line(item: ContentItem, topics: Sequence[str]) -> str:
    tags = " ".join(f"#{slug}" for slug in topics)
    # ISO on purpose: the content team's listing shows dates the way 'edit … until' takes them.
    until = f" → {item.publish_until.date().isoformat()}" if item.publish_until else ""
    return f"{item.id} · [{item.status.value}] {item.title} {tags}{until}".strip()


async def list_items(
    services: Services, actor: Actor, *, statuses: Sequence[ContentStatus] = LISTED, page: int = 1
) -> Reply:
    """One page of the library, newest first."""
    if page < 1:
        raise InvalidInput("content.page", "Pages start at 1.")
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        items = await library.list_content(
            session,
            workspace_id=caller.workspace.id,
            statuses=statuses,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        topics = await library.topics_by_content(session, content_ids=[i.id for i in items])
    if not items and page > 1:
        return Reply.text(translate("content.list.past_end", caller.locale, page=page))
    if not items:
        return Reply.text(translate("content.list.empty", caller.locale))
    lines = [_line(item, topics.get(item.id, [])) for item in items[:PAGE_SIZE]]
    blocks = [Text(translate("content.list.title", caller.locale, page=page), heading=True)]
    blocks.append(Text("\n".join(lines)))
    if len(items) > PAGE_SIZE:
        blocks.append(Text(translate("content.list.more", caller.locale, next=page + 1)))
    return Reply(blocks=tuple(blocks))


async def _transition(
    services: Services,
    actor: Actor,
    content_id: int,
    *,
    to: ContentStatus,
    allowed_from: Sequence[ContentStatus],
    message_key: str,
) -> Reply:
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        item = await library.get_content(
            session, workspace_id=caller.workspace.id, content_id=content_id
        )
        await library.change_status(session, item=item, to=to, allowed_from=allowed_from, now=now)
        audit(session, caller, f"content.{to.value}", str(item.id))
    return Reply.text(translate(message_key, caller.locale, id=item.id, title=item.title))


async def retire(services: Services, actor: Actor, content_id: int) -> Reply:
    """Stop offering an item; people who already shared it keep their links."""
    return await _transition(
        services,
        actor,
        content_id,
        to=ContentStatus.RETIRED,
        allowed_from=(ContentStatus.ACTIVE, ContentStatus.SCHEDULED, ContentStatus.EXPIRED),
        message_key="content.retired",
    )


async def approve(services: Services, actor: Actor, content_id: int) -> Reply:
    """Accept an employee's suggestion into the library."""
    return await _transition(
        services,
        actor,
        content_id,
        to=ContentStatus.ACTIVE,
        allowed_from=(ContentStatus.SUGGESTED,),
        message_key="content.approved",
    )


async def reject(services: Services, actor: Actor, content_id: int) -> Reply:
    """Decline an employee's suggestion."""
    return await _transition(
        services,
        actor,
        content_id,
        to=ContentStatus.REJECTED,
        allowed_from=(ContentStatus.SUGGESTED,),
        message_key="content.rejected",
    )


@dataclass(frozen=True)
class EditRequest:
    """Changes to an item; fields left None stay as they are."""

    content_id: int
    topics: tuple[str, ...] = ()
    caption: str | None = None
    title: str | None = None
    until: datetime | None = None
    priority: int | None = None


async def edit(services: Services, actor: Actor, request: EditRequest) -> Reply:
    """Change an item's title, topics, caption (all networks), end date or priority."""
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        item = await library.get_content(
            session, workspace_id=caller.workspace.id, content_id=request.content_id
        )
        _apply_edit(item, request, now=now)
        if request.topics:
            await library.set_topics(session, item=item, slugs=request.topics)
        if request.caption:
            captions = {network: request.caption for network in Network}
            await library.set_captions(session, content_id=item.id, captions=captions)
        audit(session, caller, "content.edit", str(item.id))
    return Reply.text(translate("content.edited", caller.locale, id=item.id, title=item.title))


def _apply_edit(item: ContentItem, request: EditRequest, *, now: datetime) -> None:
    if request.until is not None:
        if request.until <= item.publish_from:
            raise library.window_error()
        item.publish_until = request.until
        if item.status is ContentStatus.EXPIRED and request.until > now:
            item.status = ContentStatus.ACTIVE
    if request.title is not None:
        item.title = request.title[:300]
    if request.priority is not None:
        item.priority = request.priority
    item.updated_at = now


async def pending_suggestions(services: Services, actor: Actor) -> Reply:
    """Employees' suggestions waiting for approval, each with approve and reject buttons."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        items = await library.list_content(
            session,
            workspace_id=caller.workspace.id,
            statuses=[ContentStatus.SUGGESTED],
            limit=PAGE_SIZE,
        )
    locale = caller.locale
    if not items:
        return Reply.text(translate("content.suggestions.none", locale))
    blocks: list[Text | Actions] = [
        Text(translate("content.suggestions.title", locale), heading=True)
    ]
    for item in items:
        blocks.append(Text(f"{item.id} · {item.title}\n{item.canonical_url}"))
        blocks.append(
            Actions(
                (
                    Button(
                        translate("content.approve", locale),
                        actions.CONTENT_APPROVE,
                        str(item.id),
                        "primary",
                    ),
                    Button(
                        translate("content.reject", locale),
                        actions.CONTENT_REJECT,
                        str(item.id),
                        "danger",
                    ),
                )
            )
        )
    return Reply(blocks=tuple(blocks))
