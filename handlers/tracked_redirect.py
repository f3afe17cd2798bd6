"""Following a tracked link: where it leads, and counting the click when a person made it."""

from __future__ import annotations

from content_store.events import record_event
from content_store.sharing import record_click, resolve_link
from domain.events import EventType
from handlers.context import Services
from links.tracked_links import is_bot, is_valid_code, redirect_target, referrer_host


async def follow_link(
    services: Services, *, code: str, user_agent: str | None, referrer: str | None
) -> str | None:
    """The redirect target for `code`, or None when there is no such link.

    Bots and link-preview fetchers are redirected too but not counted.
    """
    if not is_valid_code(code):
        return None
    async with services.db.session() as session:
        found = await resolve_link(session, code=code)
        if found is None:
            return None
        link, item = found
        target = redirect_target(item.canonical_url, network=link.network, content_id=item.id)
        if is_bot(user_agent):
            return target
        now = services.clock.now()
        await record_click(session, link_id=link.id, now=now, referrer_host=referrer_host(referrer))
        await record_event(
            session,
            workspace_id=item.workspace_id,
            person_id=link.person_id,
            content_id=item.id,
            type=EventType.LINK_CLICKED,
            payload={"network": link.network.value},
            at=now,
        )
    return target
