"""The weekly picks for a batch of outbox rows, read with a few set-based queries.

Composing one person's picks on its own costs about fifteen statements; here a batch of rows
costs about a dozen in all, so the weekly fan-out runs at the platform's rate, not the
database's.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.content import captions_by_content, topics_by_content
from content_store.models import (
    ContentItem,
    Delivery,
    DeliveryItem,
    Feedback,
    Person,
    PersonTopic,
    Share,
    Topic,
    Workspace,
)
from content_store.outbox import ClaimedDelivery
from domain.networks import Network
from domain.programme import ProgrammeStatus
from handlers.context import Caller, Services
from handlers.types import Reply
from handlers.weekly_picks import (
    CaptionContext,
    ShownItem,
    caption_chosen,
    colleague_openings,
    load_candidates,
    picks_reply,
    topic_feedback,
)
from picks import Candidate, PersonProfile, Pick, PickReason, ReasonKind, choose_picks

_STYLE_EXAMPLES = 3


@dataclass
class _Batch:
    """What the batch's people and rows hold, read once."""

    people: dict[int, Person]
    workspaces: dict[int, Workspace]
    stored: dict[int, list[ShownItem]]


async def compose_picks(
    services: Services, rows: Sequence[ClaimedDelivery]
) -> dict[int, Reply | None]:
    """Each row's picks message by delivery id; None when there is nothing to send any more.

    Picks already stored on a row (the person asked for them, or an earlier attempt chose
    them) are sent as they are; the others are chosen now, captioned and stored.
    """
    if not rows:
        return {}
    async with services.db.session() as session:
        batch = await _read(session, rows)
        fresh = [
            row
            for row in rows
            if row.delivery_id not in batch.stored and _taking_part(batch, row.person_id)
        ]
        chosen, context, styles = await _choose(session, services, batch, fresh)
    captioned: dict[int, list[ShownItem]] = {}
    for row in fresh:
        caller = _caller(batch, row)
        per_person = dataclasses.replace(context, style=styles.get(row.person_id, ()))
        captioned[row.delivery_id] = await caption_chosen(
            services, caller, chosen[row.delivery_id], per_person
        )
    if captioned:
        async with services.db.session() as session:
            batch.stored.update(await _store(session, captioned))
    replies: dict[int, Reply | None] = {}
    for row in rows:
        shown = batch.stored.get(row.delivery_id)
        if not shown or not _taking_part(batch, row.person_id):
            replies[row.delivery_id] = None
            continue
        reply = picks_reply(_caller(batch, row), shown, services=services, source="dm")
        replies[row.delivery_id] = dataclasses.replace(reply, tag=f"delivery:{row.delivery_id}")
    return replies


def _taking_part(batch: _Batch, person_id: int) -> bool:
    person = batch.people.get(person_id)
    return person is not None and person.status is ProgrammeStatus.IN


def _caller(batch: _Batch, row: ClaimedDelivery) -> Caller:
    # Composing needs the person's language and networks, never their roles.
    return Caller(
        workspace=batch.workspaces[row.workspace_id],
        person=batch.people[row.person_id],
        roles=frozenset(),
    )


async def _read(session: AsyncSession, rows: Sequence[ClaimedDelivery]) -> _Batch:
    person_ids = {row.person_id for row in rows}
    people = (await session.execute(select(Person).where(Person.id.in_(person_ids)))).scalars()
    workspace_ids = {row.workspace_id for row in rows}
    workspaces = (
        await session.execute(select(Workspace).where(Workspace.id.in_(workspace_ids)))
    ).scalars()
    stored = await _stored(session, [row.delivery_id for row in rows])
    return _Batch(
        people={person.id: person for person in people},
        workspaces={workspace.id: workspace for workspace in workspaces},
        stored=stored,
    )


async def _stored(session: AsyncSession, delivery_ids: Sequence[int]) -> dict[int, list[ShownItem]]:
    query = (
        select(DeliveryItem, ContentItem)
        .join(ContentItem, ContentItem.id == DeliveryItem.content_id)
        .where(DeliveryItem.delivery_id.in_(delivery_ids))
        .order_by(DeliveryItem.delivery_id, DeliveryItem.position)
    )
    found: dict[int, list[ShownItem]] = defaultdict(list)
    for stored, item in (await session.execute(query)).all():
        reason = PickReason(ReasonKind(stored.reason_kind), stored.reason_topic)
        found[stored.delivery_id].append(
            ShownItem(item=item, pick=Pick(item.id, 0.0, reason), caption=stored.suggested_caption)
        )
    return dict(found)


async def _choose(
    session: AsyncSession, services: Services, batch: _Batch, fresh: Sequence[ClaimedDelivery]
) -> tuple[dict[int, list[tuple[ContentItem, Pick]]], CaptionContext, dict[int, tuple[str, ...]]]:
    if not fresh:
        return {}, CaptionContext(editorial={}, topics={}, style=(), offered={}), {}
    profiles = await _profiles(session, [batch.people[row.person_id] for row in fresh])
    libraries: dict[int, dict[int, tuple[ContentItem, Candidate]]] = {}
    for workspace_id in {row.workspace_id for row in fresh}:
        libraries[workspace_id] = await load_candidates(
            session, workspace_id=workspace_id, services=services
        )
    now = services.clock.now()
    chosen: dict[int, list[tuple[ContentItem, Pick]]] = {}
    for row in fresh:
        library = libraries[row.workspace_id]
        picks = choose_picks(
            person=profiles[row.person_id],
            candidates=[candidate for _, candidate in library.values()],
            now=now,
            limit=services.picks_per_week,
            seed=f"{row.person_id}:{row.slot}",
        )
        chosen[row.delivery_id] = [(library[pick.content_id][0], pick) for pick in picks]
    ids = sorted({item.id for pairs in chosen.values() for item, _ in pairs})
    topics = {
        content_id: sorted(candidate.topics)
        for library in libraries.values()
        for content_id, (_, candidate) in library.items()
    }
    context = CaptionContext(
        editorial=await captions_by_content(session, content_ids=ids),
        topics=topics,
        style=(),  # each person's own, below
        offered=(
            await colleague_openings(session, content_ids=ids)
            if services.captions.reads_colleague_openings
            else {}
        ),
    )
    # Only people who allowed us to learn their style have their own captions read.
    learners = [row.person_id for row in fresh if batch.people[row.person_id].consent_learn_style]
    return chosen, context, await _styles(session, learners)


async def _profiles(session: AsyncSession, people: Sequence[Person]) -> dict[int, PersonProfile]:
    """Every person's ranking profile, in five queries for the whole batch."""
    ids = [person.id for person in people]
    chosen: dict[int, set[str]] = defaultdict(set)
    inferred: dict[int, dict[str, float]] = defaultdict(dict)
    query = (
        select(PersonTopic.person_id, Topic.slug, PersonTopic.chosen, PersonTopic.inferred_weight)
        .join(Topic, Topic.id == PersonTopic.topic_id)
        .where(PersonTopic.person_id.in_(ids))
    )
    for person_id, slug, is_chosen, weight in await session.execute(query):
        if is_chosen:
            chosen[person_id].add(slug)
        if weight > 0:
            inferred[person_id][slug] = weight
    feedback: dict[int, dict[str, set[int]]] = defaultdict(
        lambda: {"not_for_me": set(), "more_like_this": set()}
    )
    rows = select(Feedback.person_id, Feedback.kind, Feedback.content_id).where(
        Feedback.person_id.in_(ids)
    )
    for person_id, kind, content_id in await session.execute(rows):
        feedback[person_id][kind].add(content_id)
    rated = {
        content_id for kinds in feedback.values() for ids_ in kinds.values() for content_id in ids_
    }
    rated_topics = await topics_by_content(session, content_ids=rated) if rated else {}
    excluded: dict[int, set[int]] = defaultdict(set)
    shown = (
        select(Delivery.person_id, DeliveryItem.content_id)
        .join(Delivery, Delivery.id == DeliveryItem.delivery_id)
        .where(Delivery.person_id.in_(ids))
    )
    shared = select(Share.person_id, Share.content_id).where(Share.person_id.in_(ids))
    for query_ in (shown, shared):
        for owner, content_id in await session.execute(query_):
            if owner is not None:
                excluded[owner].add(content_id)
    profiles: dict[int, PersonProfile] = {}
    for person in people:
        own = feedback[person.id]
        profiles[person.id] = PersonProfile(
            chosen_topics=frozenset(chosen[person.id]),
            inferred_topics=inferred[person.id],
            networks=frozenset(Network(name) for name in person.networks),
            excluded_content_ids=frozenset(excluded[person.id]),
            not_for_me_content_ids=frozenset(own["not_for_me"]),
            more_like_this_content_ids=frozenset(own["more_like_this"]),
            feedback_topics=topic_feedback(own, rated_topics),
        )
    return profiles


async def _styles(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Each consenting person's latest own captions, in one windowed query."""
    if not person_ids:
        return {}
    ranked = (
        select(
            Share.person_id,
            Share.final_caption,
            func.row_number()
            .over(partition_by=Share.person_id, order_by=Share.intent_at.desc())
            .label("rank"),
        )
        .where(Share.person_id.in_(person_ids), Share.final_caption.is_not(None))
        .subquery()
    )
    query = (
        select(ranked.c.person_id, ranked.c.final_caption)
        .where(ranked.c.rank <= _STYLE_EXAMPLES)
        .order_by(ranked.c.person_id, ranked.c.rank)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for person_id, caption in await session.execute(query):
        if caption:
            found[person_id].append(caption)
    return {person_id: tuple(texts) for person_id, texts in found.items()}


async def _store(
    session: AsyncSession, captioned: dict[int, list[ShownItem]]
) -> dict[int, list[ShownItem]]:
    """Store the picks of rows that have none yet; what each row holds afterwards.

    The rows are locked first: a person asking for their picks meanwhile stores theirs under
    the same lock, and then theirs are the ones sent.
    """
    ids = list(captioned)
    await session.execute(select(Delivery.id).where(Delivery.id.in_(ids)).with_for_update())
    taken = select(DeliveryItem.delivery_id).where(DeliveryItem.delivery_id.in_(ids)).distinct()
    raced = set((await session.execute(taken)).scalars())
    values = [
        {
            "delivery_id": delivery_id,
            "content_id": entry.item.id,
            "position": position,
            "reason_kind": entry.pick.reason.kind.value,
            "reason_topic": entry.pick.reason.topic,
            "suggested_caption": entry.caption,
        }
        for delivery_id, shown in captioned.items()
        if delivery_id not in raced
        for position, entry in enumerate(shown)
    ]
    if values:
        await session.execute(insert(DeliveryItem), values)
    result = {key: shown for key, shown in captioned.items() if key not in raced}
    if raced:
        result.update(await _stored(session, sorted(raced)))
    return result
