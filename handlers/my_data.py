"""A person's own data: see it, export it, erase it."""

from __future__ import annotations

from typing import Any

from content_store.privacy import erase_person, export_person
from domain.events import EventType
from handlers.context import Services, load_caller, record_for
from handlers.types import Actor, Reply
from messages import translate


async def export_my_data(services: Services, actor: Actor) -> dict[str, Any]:
    """Everything stored about the actor, as JSON-ready data."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await record_for(session, caller, EventType.DATA_EXPORTED, at=services.clock.now())
        await session.flush()
        return await export_person(session, person_id=caller.person.id)


async def forget_me(services: Services, actor: Actor) -> Reply:
    """Erase the actor's personal data; counts stay only as anonymous totals."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await erase_person(session, person_id=caller.person.id)
    return Reply.text(translate("privacy.erased", caller.locale))
