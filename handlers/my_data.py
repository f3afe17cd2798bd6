"""A person's own data: see it, export it, erase it."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Person, StoredDigest
from content_store.privacy import erase_person, export_person
from domain.events import EventType
from handlers import actions
from handlers.context import Services, load_caller, record_for
from handlers.manager_digest import ManagerDigest, from_payload, to_payload
from handlers.types import Actions, Actor, Attachment, Button, Reply, Text
from messages import translate


async def export_my_data(services: Services, actor: Actor) -> dict[str, Any]:
    """Everything stored about the actor, as JSON-ready data."""
    data, _ = await _exported(services, actor)
    return data


async def _exported(services: Services, actor: Actor) -> tuple[dict[str, Any], str]:
    """The actor's data (the export itself is logged first, so it is in it) and locale."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await record_for(session, caller, EventType.DATA_EXPORTED, at=services.clock.now())
        await session.flush()
        return await export_person(session, person_id=caller.person.id), caller.locale


async def forget_me(services: Services, actor: Actor) -> Reply:
    """Erase the actor's personal data; counts stay only as anonymous totals.

    Only a keyed hash of their user id is kept, so they are never invited again unasked.
    """
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await _forget_in_digests(session, person_id=caller.person.id)
        await erase_person(
            session, person_id=caller.person.id, key=services.secret_key, now=services.clock.now()
        )
    return Reply.text(translate("privacy.erased", caller.locale))


async def export_reply(services: Services, actor: Actor) -> Reply:
    """The person's data as a JSON file, with a line saying what it is."""
    data, locale = await _exported(services, actor)
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    attachment = Attachment(
        "my-social-boost-data.json", content, translate("privacy.export", locale)
    )
    return Reply(blocks=(Text(translate("privacy.export.ready", locale)),), files=(attachment,))


async def confirm_forget_reply(services: Services, actor: Actor) -> Reply:
    """Erasing cannot be undone: ask once more, with the button that does it."""
    async with services.db.session() as session:
        locale = (await load_caller(session, actor, services)).locale
    erase = Button(translate("privacy.forget.yes", locale), actions.PRIVACY_ERASE, "yes", "danger")
    return Reply(blocks=(Text(translate("privacy.forget.confirm", locale)), Actions((erase,))))


async def _forget_in_digests(session: AsyncSession, *, person_id: int) -> None:
    """Take the person out of their manager's planned digest (spotlight, request for tips)."""
    # Every planned digest of the workspace: the person's manager may have changed since.
    workspace = select(Person.workspace_id).where(Person.id == person_id).scalar_subquery()
    query = (
        select(StoredDigest)
        .join(Person, Person.id == StoredDigest.manager_id)
        .where(Person.workspace_id == workspace)
    )
    for stored in (await session.execute(query)).scalars():
        digest = from_payload(stored.payload)
        if person_id in digest.asked_for_tips or any(p == person_id for p, _ in digest.spotlights):
            stored.payload = to_payload(without_person(digest, person_id))


def without_person(digest: ManagerDigest, person_id: int) -> ManagerDigest:
    """The digest as if the person had not been in the team's spotlight or asked for tips."""
    asked = tuple(p for p in digest.asked_for_tips if p != person_id)
    spotlights = tuple((p, n) for p, n in digest.spotlights if p != person_id)
    changed = dataclasses.replace(digest, asked_for_tips=asked, spotlights=spotlights)
    if digest.suggestion != "tips" or asked:
        return changed
    # Their request was the reason for "offer time for tips": take the next rule that needs
    # no more than the stored figures (the team-meeting or thank-you suggestion).
    average, _ = digest.previous_average()
    shares = digest.this_week.shares
    suggestion = "mention" if shares < average else ("thank" if shares > 0 else "explain")
    return dataclasses.replace(changed, suggestion=suggestion, suggestion_item="")
