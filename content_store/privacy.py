"""A person's own data: export it, erase it; and the retention limit for everyone's detail."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from content_store import teams_conversations
from content_store.accounts import forget_accounts
from content_store.models import (
    AuditEntry,
    Base,
    Click,
    ConnectedAccount,
    ContentItem,
    ContentTopic,
    Delivery,
    DeliveryItem,
    DoNotInvite,
    Event,
    Feedback,
    Link,
    Person,
    PersonInsight,
    PersonRole,
    PersonTopic,
    ProcessedEvent,
    Share,
    StoredDigest,
    Topic,
    Workspace,
)
from content_store.upsert import insert_or_ignore
from domain.programme import ContentStatus

# What an erased person's id becomes where a row must stay (the audit log).
ERASED = "[erased]"


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
        # Which accounts are connected, never their tokens (secrets, not data about the person).
        "connected_accounts": [
            _row(account, skip=("access_token", "refresh_token"))
            for account in (
                await session.execute(select(ConnectedAccount).filter_by(person_id=person_id))
            ).scalars()
        ],
    }


async def erase_person(session: AsyncSession, *, person_id: int, key: bytes, now: datetime) -> None:
    """Delete or anonymise every personal row of one person, in one transaction.

    Rows that only count (shares, links, clicks) stay as anonymous totals; what the person
    wrote, chose or did is deleted; references from other rows are cleared, including the
    audit log's targets, Teams conversation references, and topics only they had invented.
    What remains is a keyed hash of their user id, so that they are not invited again.
    """
    person = await session.get(Person, person_id)
    if person is None:
        return
    workspace = await session.get(Workspace, person.workspace_id)
    if workspace is None:
        return
    teams_ids = await teams_conversations.forget_person(
        session, workspace_id=workspace.id, user_id=person.external_id
    )
    topic_ids = list(
        (await session.execute(select(PersonTopic.topic_id).filter_by(person_id=person_id)))
        .scalars()
        .all()
    )
    await _drop_unaccepted_suggestions(session, person_id=person_id)  # before it is unlinked
    # Tokens first and explicitly: they must go even where a database ignores foreign keys.
    await forget_accounts(session, person_id=person_id)
    await _anonymise_counts(session, person_id=person_id)
    identifiers = {person.external_id, *teams_ids} | ({person.email} if person.email else set())
    await _scrub_audit_log(session, workspace_id=workspace.id, identifiers=identifiers)
    for model in (Event, Feedback, PersonTopic, PersonRole, Delivery, PersonInsight):
        await session.execute(delete(model).where(model.person_id == person_id))
    await session.execute(delete(StoredDigest).where(StoredDigest.manager_id == person_id))
    # The Teams adapter's once-only mark for this person's welcome (bot/teams/app.py).
    await session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.event_id == f"welcome:{person_id}")
    )
    await session.execute(delete(Person).where(Person.id == person_id))
    await _drop_orphan_topics(session, topic_ids=topic_ids)
    await insert_or_ignore(
        session,
        DoNotInvite,
        {
            "workspace_id": workspace.id,
            "user_hash": user_hash(key, workspace=workspace, user_id=person.external_id),
            "created_at": now,
        },
        conflict_columns=("workspace_id", "user_hash"),
    )


async def _anonymise_counts(session: AsyncSession, *, person_id: int) -> None:
    await session.execute(
        update(Share)
        .where(Share.person_id == person_id)
        .values(
            person_id=None,
            suggested_caption=None,
            final_caption=None,
            posted_ref=None,
            posting_since=None,
        )
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


async def _drop_unaccepted_suggestions(session: AsyncSession, *, person_id: int) -> None:
    """A page the person suggested that the content team did not take up is theirs alone."""
    await session.execute(
        delete(ContentItem).where(
            ContentItem.suggested_by_id == person_id,
            ContentItem.status.in_((ContentStatus.SUGGESTED, ContentStatus.REJECTED)),
        )
    )


async def _scrub_audit_log(
    session: AsyncSession, *, workspace_id: int, identifiers: set[str]
) -> None:
    """Keep who-did-what accountable without naming the erased person as its target."""
    needles = [text for text in identifiers if text]
    entries = (
        await session.execute(select(AuditEntry).filter_by(workspace_id=workspace_id))
    ).scalars()
    for entry in entries:
        target = _without(entry.target, needles)
        details = _without_in_json(entry.details, needles)
        if target != entry.target:
            entry.target = target
        if details != entry.details:
            entry.details = details


def _without(text: str, needles: list[str]) -> str:
    for needle in needles:
        text = text.replace(needle, ERASED)
    return text


def _without_in_json(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        return _without(value, needles)
    if isinstance(value, dict):
        return {key: _without_in_json(item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_in_json(item, needles) for item in value]
    return value


async def _drop_orphan_topics(session: AsyncSession, *, topic_ids: list[int]) -> None:
    """Topics the person invented: no content and nobody else has them any more."""
    if not topic_ids:
        return
    used = select(ContentTopic.topic_id).union(select(PersonTopic.topic_id))
    await session.execute(
        delete(Topic).where(Topic.id.in_(topic_ids), Topic.id.not_in(used.scalar_subquery()))
    )


def user_hash(key: bytes, *, workspace: Workspace, user_id: str) -> str:
    """HMAC-SHA256 of the platform, workspace and user id under the server's key (hex)."""
    message = "\x1f".join((workspace.platform, workspace.external_id, user_id))
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


async def keep_uninvited(
    session: AsyncSession, *, workspace: Workspace, person: Person, key: bytes, now: datetime
) -> bool:
    """For someone new to the database whose user id was erased before: count them as
    invited and reminded already, so that no welcome or reminder goes to them unasked.
    They can still join on their own. True if they were erased before."""
    if person.invited_at is not None:
        return False
    marked = await session.get(
        DoNotInvite, (workspace.id, user_hash(key, workspace=workspace, user_id=person.external_id))
    )
    if marked is None:
        return False
    person.invited_at = person.reminded_at = now
    return True


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
