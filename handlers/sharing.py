"""Sharing an item: save the person's caption, make the tracked link, open the composer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from captions import check_final_caption, require_filled, rewrite_ratio
from content_store.accounts import connected
from content_store.content import get_content, is_live, is_live_at
from content_store.events import event_row
from content_store.models import ContentItem, Feedback
from content_store.one_trip import Program
from content_store.sharing import (
    PressedItem,
    Presser,
    ShareIntent,
    ShareStart,
    confirm_share,
    confirmed_networks,
    find_share,
    item_to_share,
    member_and_item,
    read_press,
    start_share,
    start_share_program,
    unknown_item,
)
from content_store.upsert import insert_or_ignore
from domain.errors import InvalidInput
from domain.events import EventType
from domain.networks import NETWORK_RULES, Network, composer_url
from handlers import actions
from handlers.context import (
    Caller,
    Services,
    is_stale,
    known_caller,
    load_caller,
    record_for,
    require_participant,
    require_taking_part,
)
from handlers.types import Actor, Button, ItemSummary, Reply, ShareReady
from handlers.weekly_picks import item_card, person_networks, sample_link
from messages import normalise_locale, translate

SHARE_SOURCES = frozenset({"dm", "home", "channel", "now", "web"})
FEEDBACK_KINDS = {"not_for_me": EventType.NOT_FOR_ME, "more_like_this": EventType.MORE_LIKE_THIS}


@dataclass(frozen=True)
class ShareRequest:
    """A press of a network's share button, with the caption as the person left it."""

    content_id: int
    network: Network
    caption: str
    source: str = "dm"


def require_live(item: ContentItem, *, now: datetime) -> None:
    """Refuse items that were retired or whose publication window is over."""
    if not is_live(item, now=now):
        raise _unavailable(item.title)


def _unavailable(title: str) -> InvalidInput:
    return InvalidInput("share.unavailable", "'{title}' can no longer be shared.", title=title[:80])


def _with_disclosure(caption: str, disclosure: str) -> str:
    if not disclosure or disclosure.casefold() in caption.casefold():
        return caption
    return f"{caption}\n{disclosure}"


async def share(services: Services, actor: Actor, request: ShareRequest) -> Reply:
    """Record the intent (once) and answer with the caption to copy and the composer link."""
    if request.source not in SHARE_SOURCES:
        raise InvalidInput(
            "share.source", "Unknown share source '{source}'.", source=request.source
        )
    now = services.clock.now()
    # A known person's press is one program (on SQLite one trip to the database's thread for
    # the read, the writes and the commit); a first press, or one that brings news of the
    # person to store, takes the session's way.
    pressed = await services.db.run(_known_press(services, actor, request, now=now))
    if pressed is None:
        return await _share_in_session(services, actor, request, now=now)
    presser, item, start = pressed
    can_post = False
    if services.accounts.enabled(request.network):
        async with services.db.session() as session:
            can_post = await may_post(
                session, services, person_id=presser.person_id, network=request.network
            )
    return share_panel(
        locale=normalise_locale(presser.locale or presser.workspace_locale),
        guidelines=presser.guidelines,
        content_id=item.id,
        title=item.title,
        network=request.network,
        caption=start.intent.final_caption,
        link=services.link_url(start.code),
        can_post=can_post,
    )


def _known_press(
    services: Services, actor: Actor, request: ShareRequest, *, now: datetime
) -> Program[tuple[Presser, PressedItem, ShareStart] | None]:
    """The press as `share_in_session` runs it, for a known person whose stored details are
    current (else None before anything is written). Runs on the database's thread on SQLite:
    plain computation only between the statements."""
    presser = yield from read_press(
        platform=actor.platform,
        workspace_external_id=actor.workspace_id,
        external_id=actor.user_id,
        content_id=request.content_id,
        network=request.network,
    )
    if presser is None or is_stale(
        actor,
        locale=presser.locale,
        timezone=presser.timezone,
        display_name=presser.display_name,
        email=presser.email,
    ):
        return None
    require_taking_part(status=presser.status, paused=presser.paused)
    item = presser.item
    if item is None:
        raise unknown_item(request.content_id)
    if not is_live_at(
        status=item.status,
        publish_from=item.publish_from,
        publish_until=item.publish_until,
        now=now,
    ):
        raise _unavailable(item.title)
    require_filled(request.caption)
    pressing = _Pressing(
        services,
        request,
        caption=_with_disclosure(request.caption.strip(), presser.disclosure_line),
        workspace_id=presser.workspace_id,
        person_id=presser.person_id,
        content_id=item.id,
        suggested=presser.suggested,
        now=now,
    )
    start = yield from start_share_program(
        services.db.engine.dialect.name,
        person_id=presser.person_id,
        content_id=item.id,
        network=request.network,
        now=now,
        intent_for=pressing.intent_for,
        event_for=pressing.event_for,
    )
    return presser, item, start


@dataclass(frozen=True)
class _Pressing:
    """One press's caption and ids, turned into the intent and its event once the link is known."""

    services: Services
    request: ShareRequest
    caption: str
    workspace_id: int
    person_id: int
    content_id: int
    suggested: str
    now: datetime

    def intent_for(self, code: str) -> ShareIntent:
        network = self.request.network
        final = check_final_caption(
            self.caption, network=network, link=self.services.link_url(code)
        )
        return ShareIntent(
            person_id=self.person_id,
            content_id=self.content_id,
            network=network,
            source=self.request.source,
            suggested_caption=self.suggested,
            final_caption=final,
            rewrite_ratio=rewrite_ratio(self.suggested, final),
        )

    def event_for(self, intent: ShareIntent) -> dict[str, Any]:
        return event_row(
            workspace_id=self.workspace_id,
            person_id=self.person_id,
            content_id=self.content_id,
            type=EventType.SHARE_INTENT,
            at=self.now,
            payload={
                "network": self.request.network.value,
                "source": self.request.source,
                "rewrite_ratio": round(intent.rewrite_ratio, 3),
            },
        )


async def _share_in_session(
    services: Services, actor: Actor, request: ShareRequest, *, now: datetime
) -> Reply:
    """The press through the ORM: a person's first (made or adopted here) or their details
    refreshed."""
    async with services.db.session() as session:
        caller, item, suggested = await _caller_and_item(session, services, actor, request)
        require_live(item, now=now)
        # "[why this matters to you]" posted as is would embarrass the person: say so, save nothing.
        require_filled(request.caption)
        pressing = _Pressing(
            services,
            request,
            caption=_with_disclosure(request.caption.strip(), caller.workspace.disclosure_line),
            workspace_id=caller.workspace.id,
            person_id=caller.person.id,
            content_id=item.id,
            suggested=suggested,
            now=now,
        )
        start = await start_share(
            session,
            person_id=caller.person.id,
            content_id=item.id,
            network=request.network,
            now=now,
            intent_for=pressing.intent_for,
            event_for=pressing.event_for,
        )
        can_post = await may_post(
            session, services, person_id=caller.person.id, network=request.network
        )
    url = services.link_url(start.code)
    return share_ready_reply(
        caller, item, request.network, start.intent.final_caption, url, can_post=can_post
    )


async def _caller_and_item(
    session: AsyncSession, services: Services, actor: Actor, request: ShareRequest
) -> tuple[Caller, ContentItem, str]:
    """The participant pressing, the item and its suggested caption: one query for a person
    seen before (every press but their first), else the caller's first-sight path."""
    found = await member_and_item(
        session,
        platform=actor.platform,
        workspace_external_id=actor.workspace_id,
        external_id=actor.user_id,
        content_id=request.content_id,
        network=request.network,
    )
    if found is None or found.member.person is None:
        caller = await load_caller(session, actor, services)
        require_participant(caller)
        item, suggested = await item_to_share(
            session,
            workspace_id=caller.workspace.id,
            person_id=caller.person.id,
            content_id=request.content_id,
            network=request.network,
        )
        return caller, item, suggested
    caller = await known_caller(session, found.member, found.member.person, actor)
    require_participant(caller)
    if found.item is None:
        raise unknown_item(request.content_id)
    return caller, found.item, found.suggested


async def may_post(
    session: AsyncSession, services: Services, *, person_id: int, network: Network
) -> bool:
    """Whether the person has connected an account the bot may post to on `network`."""
    if not services.accounts.enabled(network):
        return False
    return any(
        account.network is network for account in await connected(session, person_id=person_id)
    )


def share_ready_reply(
    caller: Caller,
    item: ContentItem,
    network: Network,
    caption: str,
    link: str,
    *,
    can_post: bool = False,
    extra: tuple[Button, ...] = (),
) -> Reply:
    """`share_panel` for a caller and an item loaded through the ORM."""
    return share_panel(
        locale=caller.locale,
        guidelines=caller.workspace.guidelines,
        content_id=item.id,
        title=item.title,
        network=network,
        caption=caption,
        link=link,
        can_post=can_post,
        extra=extra,
    )


def share_panel(
    *,
    locale: str,
    guidelines: str,
    content_id: int,
    title: str,
    network: Network,
    caption: str,
    link: str,
    can_post: bool = False,
    extra: tuple[Button, ...] = (),
) -> Reply:
    """The caption ready to copy, the guidelines, the composer button and 'I've posted it';
    with a connected account first 'Post to … now'."""
    rules = NETWORK_RULES[network]
    hint_key = "share.hint.text" if rules.composer_takes_text else "share.hint.copy"
    if can_post:
        hint_key = "share.hint.post_now"
    guidelines = guidelines or translate("share.guidelines.default", locale)
    value = f"{content_id}:{network.value}"
    post_now = (
        Button(
            translate("share.post_now", locale, network=rules.label),
            actions.SHARE_POST_NOW,
            value,
            "primary",
        ),
        Button(translate("share.post_later", locale), actions.SHARE_POST_LATER, value),
    )
    return Reply(
        blocks=(
            ShareReady(
                content_id=content_id,
                title=title,
                network_label=rules.label,
                caption=caption,
                copy_hint=translate(hint_key, locale, network=rules.label),
                guidelines=guidelines,
                actions=(
                    *(post_now if can_post else ()),
                    Button(
                        translate("share.open", locale, network=rules.label),
                        actions.SHARE_OPEN,
                        value,
                        "default" if can_post else "primary",
                        url=composer_url(network, text=caption, link=link),
                    ),
                    Button(translate("share.confirm", locale), actions.SHARE_CONFIRM, value),
                    *extra,
                ),
            ),
        )
    )


async def confirm(services: Services, actor: Actor, *, content_id: int, network: Network) -> Reply:
    """'I've posted it': the share counts as done (once); the item stays, with what is left."""
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        record = await find_share(
            session, person_id=caller.person.id, content_id=content_id, network=network
        )
        if record is None:
            raise InvalidInput(
                "share.not_started", "Press the share button first, then confirm you posted it."
            )
        if await confirm_share(session, share=record, now=now):
            await record_for(
                session,
                caller,
                EventType.SHARE_CONFIRMED,
                at=now,
                content_id=content_id,
                payload={"network": network.value},
            )
        item = await get_content(session, workspace_id=caller.workspace.id, content_id=content_id)
        posted = await confirmed_networks(session, person_id=caller.person.id, content_id=item.id)
    return posted_reply(
        caller,
        item,
        posted,
        caption=record.final_caption or "",
        source=record.source,
        services=services,
    )


def posted_reply(
    caller: Caller,
    item: ContentItem,
    posted: Sequence[Network],
    *,
    caption: str,
    source: str,
    services: Services,
) -> Reply:
    """The item after a confirmed share: thanks, where it is posted, and the other networks."""
    locale = caller.locale
    labels = ", ".join(NETWORK_RULES[n].label for n in posted)
    thanks = translate("share.confirmed", locale, networks=labels)
    left = [n for n in person_networks(caller) if n not in posted]
    if not left or not is_live(item, now=services.clock.now()):
        return Reply(blocks=(ItemSummary(item.title, item.canonical_url, thanks, item.image_url),))
    card = item_card(
        item,
        caption=caption,
        reason=thanks,
        networks=left,
        locale=locale,
        link=sample_link(services),
        source=source if source in SHARE_SOURCES else "dm",
        feedback=False,
    )
    return Reply(blocks=(card,))


async def give_feedback(services: Services, actor: Actor, *, content_id: int, kind: str) -> Reply:
    """'Not for me' or 'more like this' on an item; the latest word counts."""
    if kind not in FEEDBACK_KINDS:
        raise InvalidInput("feedback.kind", "Unknown feedback '{kind}'.", kind=kind[:30])
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_participant(caller, while_paused=True)
        await get_content(session, workspace_id=caller.workspace.id, content_id=content_id)
        values = {"person_id": caller.person.id, "content_id": content_id, "kind": kind}
        created = await insert_or_ignore(
            session,
            Feedback,
            {**values, "created_at": now},
            conflict_columns=("person_id", "content_id"),
        )
        if not created:
            row = await session.get(Feedback, (caller.person.id, content_id))
            if row is None or row.kind == kind:
                return Reply.text(translate(f"feedback.{kind}", caller.locale))
            row.kind, row.created_at = kind, now
        await record_for(session, caller, FEEDBACK_KINDS[kind], at=now, content_id=content_id)
    return Reply.text(translate(f"feedback.{kind}", caller.locale))
