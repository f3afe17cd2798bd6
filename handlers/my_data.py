"""A person's own data: see it, export it, erase it."""

from __future__ import annotations

import json
from typing import Any

from content_store.privacy import erase_person, export_person
from domain.events import EventType
from handlers import actions
from handlers.context import Services, load_caller, record_for
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
    """Erase the actor's personal data; counts stay only as anonymous totals."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        await erase_person(session, person_id=caller.person.id)
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
