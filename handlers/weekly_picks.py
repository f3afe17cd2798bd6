"""A person's picks: choose them, suggest a caption for each, and record what was shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from captions import CaptionRequest, avoidable_openings
from content_store.content import captions_by_content, live_content, topics_by_content
from content_store.models import ContentItem, Delivery, DeliveryItem, Feedback, Share
from content_store.people import person_topics
from content_store.sharing import shared_content_ids, shared_networks
from content_store.upsert import insert_or_ignore
from domain.events import EventType
from domain.networks import NETWORK_RULES, Network, caption_budget
from handlers import actions
from handlers.context import Caller, Services, load_caller, record_for, require_participant
from handlers.types import Actor, Button, ContentCard, Reply, Text
from messages import translate
from picks import (
    Candidate,
    PersonProfile,
    Pick,
    PickReason,
    ReasonKind,
    choose_picks,
    reason_key,
)

# Tracked links are the public base URL plus /r/ and a 12-character code; captions are sized
# for a link of exactly that length before the real link exists.
_CODE_PLACEHOLDER = "x" * 12


@dataclass(frozen=True)
class ShownItem:
    """An item as the person will see it, with its suggested caption."""

    item: ContentItem
    pick: Pick
    caption: str


def sample_link(services: Services) -> str:
    """A tracked link of the real length, for sizing captions before the link exists."""
    return services.link_url(_CODE_PLACEHOLDER)


def person_networks(caller: Caller) -> tuple[Network, ...]:
    """The person's networks, or every network when they have not chosen yet."""
    chosen = tuple(Network(name) for name in caller.person.networks)
    return chosen or tuple(NETWORK_RULES)


def strictest_network(networks: Sequence[Network], *, link: str) -> Network:
    """The network with the smallest caption budget: a caption that fits it fits them all."""
    return min(networks, key=lambda network: caption_budget(network, link))


async def _excluded(session: AsyncSession, *, person_id: int) -> frozenset[int]:
    shown = select(DeliveryItem.content_id).join(Delivery).where(Delivery.person_id == person_id)
    ids = set((await session.execute(shown)).scalars())
    return frozenset(ids | await shared_content_ids(session, person_id=person_id))


async def _feedback(session: AsyncSession, *, person_id: int) -> dict[str, set[int]]:
    rows = (await session.execute(select(Feedback).filter_by(person_id=person_id))).scalars()
    by_kind: dict[str, set[int]] = {"not_for_me": set(), "more_like_this": set()}
    for row in rows:
        by_kind[row.kind].add(row.content_id)
    return by_kind


def topic_feedback(feedback: dict[str, set[int]], topics: dict[int, list[str]]) -> dict[str, float]:
    """Each topic's score from a person's feedback: +1 per "more like this", -1 per "not for me"."""
    scores: dict[str, float] = {}
    for kind, sign in (("more_like_this", 1.0), ("not_for_me", -1.0)):
        for content_id in feedback[kind]:
            for slug in topics.get(content_id, []):
                scores[slug] = scores.get(slug, 0.0) + sign
    return scores


async def load_profile(
    session: AsyncSession, *, caller: Caller, chosen: frozenset[str], inferred: dict[str, float]
) -> PersonProfile:
    """Everything the ranking needs to know about the person."""
    feedback = await _feedback(session, person_id=caller.person.id)
    rated = feedback["not_for_me"] | feedback["more_like_this"]
    topics = await topics_by_content(session, content_ids=rated)
    return PersonProfile(
        chosen_topics=chosen,
        inferred_topics=inferred,
        networks=frozenset(Network(name) for name in caller.person.networks),
        excluded_content_ids=await _excluded(session, person_id=caller.person.id),
        not_for_me_content_ids=frozenset(feedback["not_for_me"]),
        more_like_this_content_ids=frozenset(feedback["more_like_this"]),
        feedback_topics=topic_feedback(feedback, topics),
    )


async def load_candidates(
    session: AsyncSession, *, workspace_id: int, services: Services
) -> dict[int, tuple[ContentItem, Candidate]]:
    """Every item live now, with what the ranking needs to know about it."""
    items = await live_content(session, workspace_id=workspace_id, now=services.clock.now())
    topics = await topics_by_content(session, content_ids=[item.id for item in items])
    return {
        item.id: (
            item,
            Candidate(
                content_id=item.id,
                topics=frozenset(topics.get(item.id, [])),
                networks=frozenset(),
                priority=item.priority,
                published_at=item.publish_from,
                expires_at=item.publish_until,
            ),
        )
        for item in items
    }


def week_slot(caller: Caller, services: Services) -> str:
    """The delivery slot of the person's current ISO week, in their own time zone."""
    return "picks:" + week_of(
        services.clock.now(), caller.person.timezone or caller.workspace.timezone
    )


def week_of(moment: datetime, zone_name: str | None) -> str:
    """The ISO week ('2026-W47') of a moment in a time zone (UTC when unknown)."""
    year, week, _ = moment.astimezone(_zone(zone_name)).isocalendar()
    return f"{year}-W{week:02d}"


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class PreparedPicks:
    """A person's picks for their current week; `fresh` when not recorded before."""

    caller: Caller
    slot: str
    shown: list[ShownItem]
    fresh: bool


async def prepare_picks(
    services: Services, actor: Actor, *, slot: str | None = None
) -> PreparedPicks:
    """A slot's picks (this week's unless named): those recorded, or new ones with captions."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_participant(caller)
        slot = slot or week_slot(caller, services)
        shown = await _already_shown(session, person_id=caller.person.id, slot=slot)
        if shown is not None:
            return PreparedPicks(caller=caller, slot=slot, shown=shown, fresh=False)
        chosen = await _choose(session, caller=caller, services=services, slot=slot)
    # Captions may come from a model: never hold a transaction open while waiting for it.
    shown = await with_captions(services, caller, chosen)
    return PreparedPicks(caller=caller, slot=slot, shown=shown, fresh=True)


async def show_picks(services: Services, actor: Actor, *, source: str = "now") -> Reply:
    """This week's picks for the person who asked: recorded as shown, once per week."""
    prepared = await prepare_picks(services, actor)
    async with services.db.session() as session:
        if prepared.fresh:
            await record_delivery(
                session, prepared=prepared, services=services, status="shown", source=source
            )
        else:
            # Seen now, so a direct message still waiting for this slot need not go out.
            await mark_shown(session, prepared=prepared, now=services.clock.now())
        ids = [entry.item.id for entry in prepared.shown]
        shared = await shared_networks(
            session, person_id=prepared.caller.person.id, content_ids=ids
        )
    return picks_reply(
        prepared.caller, prepared.shown, services=services, source=source, shared=shared
    )


async def _choose(
    session: AsyncSession, *, caller: Caller, services: Services, slot: str
) -> list[tuple[ContentItem, Pick]]:
    chosen, inferred = await person_topics(session, person_id=caller.person.id)
    profile = await load_profile(session, caller=caller, chosen=chosen, inferred=inferred)
    candidates = await load_candidates(session, workspace_id=caller.workspace.id, services=services)
    picks = choose_picks(
        person=profile,
        candidates=[candidate for _, candidate in candidates.values()],
        now=services.clock.now(),
        limit=services.picks_per_week,
        seed=f"{caller.person.id}:{slot}",
    )
    return [(candidates[pick.content_id][0], pick) for pick in picks]


async def with_caption(
    services: Services, caller: Caller, item: ContentItem, pick: Pick
) -> ShownItem:
    """The item with a caption suggested for this person, sized for their strictest network."""
    return (await with_captions(services, caller, [(item, pick)]))[0]


async def with_captions(
    services: Services, caller: Caller, chosen: Sequence[tuple[ContentItem, Pick]]
) -> list[ShownItem]:
    """Each item with a caption suggested for this person, sized for their strictest network.

    What the captions need is read in one go; the writer (maybe a model) is called after,
    outside any transaction.
    """
    ids = [item.id for item, _ in chosen]
    async with services.db.session() as session:
        editorial = await captions_by_content(session, content_ids=ids)
        topics = await topics_by_content(session, content_ids=ids)
        style = await style_examples(session, caller=caller)
        offered = (
            await colleague_openings(session, content_ids=ids)
            if services.captions.reads_colleague_openings
            else {}
        )
    return await caption_chosen(
        services,
        caller,
        chosen,
        CaptionContext(editorial=editorial, topics=topics, style=style, offered=offered),
    )


@dataclass(frozen=True)
class CaptionContext:
    """What caption suggestions need from the database, read before the writer runs."""

    editorial: Mapping[int, Mapping[Network, str]]
    topics: Mapping[int, Sequence[str]]
    style: tuple[str, ...]
    offered: Mapping[int, tuple[str, ...]]


async def caption_chosen(
    services: Services,
    caller: Caller,
    chosen: Sequence[tuple[ContentItem, Pick]],
    context: CaptionContext,
) -> list[ShownItem]:
    """Each chosen item with a caption suggested for this person (no database access)."""
    link = services.link_url(_CODE_PLACEHOLDER)
    network = strictest_network(person_networks(caller), link=link)
    shown: list[ShownItem] = []
    for item, pick in chosen:
        request = CaptionRequest(
            title=item.title,
            description=item.description,
            link=link,
            topics=tuple(context.topics.get(item.id, [])),
            network=network,
            locale=caller.locale,
            person_key=f"{caller.workspace.id}:{caller.person.id}",
            editorial_caption=context.editorial.get(item.id, {}).get(network),
            style_examples=context.style,
            disclosure=caller.workspace.disclosure_line or None,
            avoid_openings=avoidable_openings(entry.caption for entry in shown),
            colleague_openings=context.offered.get(item.id, ()),
        )
        suggestion = await services.captions.write(request)
        shown.append(ShownItem(item=item, pick=pick, caption=suggestion.suggested))
    return shown


# Captions read per item to learn how colleagues' suggestions open: bounded, in index order
# (no sort over everyone who got the item), only their start, reduced to openings right here.
_COLLEAGUE_CAPTIONS_READ = 20
_CAPTION_START_CHARS = 120


async def colleague_openings(
    session: AsyncSession, *, content_ids: Sequence[int]
) -> dict[int, tuple[str, ...]]:
    """Per item, the openings of captions already suggested for it (first words, no names)."""
    if not content_ids:
        return {}
    per_item = [
        select(
            DeliveryItem.content_id,
            func.substr(DeliveryItem.suggested_caption, 1, _CAPTION_START_CHARS).label("start"),
        )
        .where(DeliveryItem.content_id == content_id)
        .limit(_COLLEAGUE_CAPTIONS_READ)
        .subquery()
        for content_id in content_ids
    ]
    query = union_all(*(select(sub.c.content_id, sub.c.start) for sub in per_item))
    captions: dict[int, list[str]] = {}
    for content_id, caption in await session.execute(query):
        captions.setdefault(content_id, []).append(caption)
    return {key: avoidable_openings(texts) for key, texts in captions.items()}


async def style_examples(
    session: AsyncSession, *, caller: Caller, limit: int = 3
) -> tuple[str, ...]:
    """The person's own recent captions, only when they allowed us to learn their style."""
    if not caller.person.consent_learn_style:
        return ()
    query = (
        select(Share.final_caption)
        .where(Share.person_id == caller.person.id, Share.final_caption.is_not(None))
        .order_by(Share.intent_at.desc())
        .limit(limit)
    )
    return tuple(text for text in (await session.execute(query)).scalars() if text)


async def record_delivery(
    session: AsyncSession,
    *,
    prepared: PreparedPicks,
    services: Services,
    status: str,
    source: str,
) -> int | None:
    """Record what the slot shows (once, however often asked); the delivery id if new.

    A row the scheduler planned but has not filled yet takes these picks and is marked shown,
    so its direct message does not go out as well.
    """
    if not prepared.shown:
        return None
    now, caller = services.clock.now(), prepared.caller
    values = {
        "person_id": caller.person.id,
        "slot": prepared.slot,
        "kind": "picks",
        "status": status,
        "due_at": now,
        "available_at": now,
        "sent_at": now if status == "shown" else None,
        "attempts": 0,
    }
    await insert_or_ignore(session, Delivery, values, conflict_columns=("person_id", "slot"))
    query = select(Delivery.id).filter_by(person_id=caller.person.id, slot=prepared.slot)
    delivery_id = (await session.execute(query.with_for_update())).scalar_one()
    if not await attach_items(session, delivery_id=delivery_id, shown=prepared.shown):
        return None
    if status == "shown":
        await mark_shown(session, prepared=prepared, now=now)
        payload = {"slot": prepared.slot, "count": len(prepared.shown), "source": source}
        await record_for(session, caller, EventType.PICKS_SHOWN, at=now, payload=payload)
    return delivery_id


async def attach_items(
    session: AsyncSession, *, delivery_id: int, shown: Sequence[ShownItem]
) -> bool:
    """Store the items a delivery shows, unless it already has some; True if stored now."""
    existing = select(DeliveryItem.content_id).filter_by(delivery_id=delivery_id).limit(1)
    if (await session.execute(existing)).first() is not None:
        return False
    session.add_all(
        DeliveryItem(
            delivery_id=delivery_id,
            content_id=entry.item.id,
            position=position,
            reason_kind=entry.pick.reason.kind.value,
            reason_topic=entry.pick.reason.topic,
            suggested_caption=entry.caption,
        )
        for position, entry in enumerate(shown)
    )
    await session.flush()
    return True


async def mark_shown(session: AsyncSession, *, prepared: PreparedPicks, now: datetime) -> None:
    """The person has seen the slot's picks: a send still waiting for it is no longer needed."""
    await session.execute(
        update(Delivery)
        .where(Delivery.person_id == prepared.caller.person.id, Delivery.slot == prepared.slot)
        .where(Delivery.status.in_(("pending", "retry")))
        .values(status="shown", sent_at=now)
        .execution_options(synchronize_session=False)
    )


async def _already_shown(
    session: AsyncSession, *, person_id: int, slot: str
) -> list[ShownItem] | None:
    query = (
        select(DeliveryItem, ContentItem)
        .join(Delivery, Delivery.id == DeliveryItem.delivery_id)
        .join(ContentItem, ContentItem.id == DeliveryItem.content_id)
        .where(Delivery.person_id == person_id, Delivery.slot == slot)
        .order_by(DeliveryItem.position)
    )
    rows = (await session.execute(query)).all()
    if not rows:
        return None
    return [
        ShownItem(
            item=item,
            pick=Pick(item.id, 0.0, PickReason(ReasonKind(row.reason_kind), row.reason_topic)),
            caption=row.suggested_caption,
        )
        for row, item in rows
    ]


def picks_reply(
    caller: Caller,
    shown: Sequence[ShownItem],
    *,
    services: Services,
    source: str = "dm",
    shared: Mapping[int, Sequence[Network]] | None = None,
) -> Reply:
    """The picks as content cards with an editable caption and their buttons; an item the
    person already shared says where, and offers only the networks left."""
    locale = caller.locale
    if not shown:
        return Reply.text(translate("picks.none", locale))
    networks = person_networks(caller)
    done = shared or {}
    cards = tuple(
        item_card(
            entry.item,
            caption=entry.caption,
            reason=_reason(entry, done.get(entry.item.id, ()), locale),
            networks=[n for n in networks if n not in done.get(entry.item.id, ())] or networks,
            locale=locale,
            link=sample_link(services),
            source=source,
        )
        for entry in shown
    )
    return Reply(blocks=(Text(translate("picks.title", locale), heading=True), *cards))


def _reason(entry: ShownItem, shared: Sequence[Network], locale: str) -> str:
    if shared:
        labels = ", ".join(NETWORK_RULES[n].label for n in shared)
        return translate("picks.already_shared", locale, networks=labels)
    return translate(reason_key(entry.pick.reason), locale, topic=entry.pick.reason.topic)


def item_card(
    item: ContentItem,
    *,
    caption: str,
    reason: str,
    networks: Sequence[Network],
    locale: str,
    link: str,
    source: str,
    feedback: bool = True,
) -> ContentCard:
    """One item with its editable caption and a share button per network.

    The caption may be as long as the roomiest network allows; the label names the limit of
    a stricter one, which a share there checks again (and explains when it is exceeded).
    """
    value = f"{item.id}:{source}"
    share_buttons = tuple(
        Button(
            translate("picks.share_on", locale, network=NETWORK_RULES[network].label),
            actions.share_action(network),
            value,
            "primary" if index == 0 else "default",
        )
        for index, network in enumerate(networks)
    )
    extra = (
        (
            Button(translate("picks.not_for_me", locale), actions.FEEDBACK_NOT_FOR_ME, value),
            Button(
                translate("picks.more_like_this", locale), actions.FEEDBACK_MORE_LIKE_THIS, value
            ),
        )
        if feedback
        else ()
    )
    roomiest = max((caption_budget(n, link) for n in networks), default=280)
    return ContentCard(
        content_id=item.id,
        title=item.title,
        url=item.canonical_url,
        description=item.description,
        image_url=item.image_url,
        reason=reason,
        caption=caption,
        caption_label=_caption_label(
            networks, link=link, locale=locale, caption=caption, roomiest=roomiest
        ),
        # Never below what the field already holds: a client would cut the person's words.
        caption_max_chars=max(roomiest, len(caption)),
        actions=(*share_buttons, *extra),
    )


def _caption_label(
    networks: Sequence[Network], *, link: str, locale: str, caption: str, roomiest: int
) -> str:
    """The caption's label with the roomiest network's limit, a stricter network's limit when
    there is one, and how long the caption is when it is already over the limit (kept after
    another share)."""
    label = translate("picks.caption_label", locale)
    strict = strictest_network(networks, link=link) if networks else None
    if len(caption) > roomiest:
        over = translate("picks.caption_over", locale, max=roomiest, length=len(caption))
        return f"{label} — {over}"
    if strict is None or caption_budget(strict, link) == roomiest:
        return f"{label} — " + translate("picks.caption_limit", locale, count=roomiest)
    limit = translate(
        "picks.caption_limit_strict",
        locale,
        count=roomiest,
        network=NETWORK_RULES[strict].label,
        strict=caption_budget(strict, link),
    )
    return f"{label} — {limit}"
