"""Small builders for test data, going through the real repositories."""

from __future__ import annotations

from datetime import datetime, timedelta

from content_store.content import NewContent, add_content
from content_store.database import Database
from content_store.people import get_or_create_person, get_or_create_workspace, set_roles
from domain.networks import Network
from domain.programme import Role
from handlers.types import Actor

WORKSPACE = "T-TEST"


def actor(user: str = "U1", *, locale: str | None = None) -> Actor:
    """A Slack user of the test workspace."""
    return Actor(platform="slack", workspace_id=WORKSPACE, user_id=user, locale=locale)


async def grant(db: Database, user: str, *roles: Role) -> None:
    """Give a test user roles."""
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        person = await get_or_create_person(session, workspace_id=ws.id, external_id=user)
        await set_roles(session, person_id=person.id, roles=roles)


async def add_item(
    db: Database,
    *,
    slug: str,
    topics: tuple[str, ...] = (),
    now: datetime,
    priority: int = 0,
    captions: dict[Network, str] | None = None,
) -> int:
    """An active item in the test workspace; returns its id."""
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        item = await add_content(
            session,
            workspace_id=ws.id,
            new=NewContent(
                canonical_url=f"https://news.example.com/{slug}",
                title=f"Story {slug}",
                description=f"All about {slug}.",
                topics=topics,
                captions=captions or {},
                publish_from=now - timedelta(days=1),
                priority=priority,
            ),
            now=now,
        )
        return item.id
