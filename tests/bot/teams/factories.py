"""Test data in a Teams tenant, through the real repositories."""

from __future__ import annotations

from datetime import datetime, timedelta

from content_store.content import NewContent, add_content
from content_store.database import Database
from content_store.people import (
    get_or_create_person,
    get_or_create_workspace,
    set_roles,
    set_status,
)
from domain.programme import ProgrammeStatus, Role


async def add_teams_item(db: Database, tenant: str, slug: str, now: datetime) -> int:
    """An active item in the tenant's library; returns its id."""
    async with db.session() as session:
        workspace = await get_or_create_workspace(session, platform="teams", external_id=tenant)
        new = NewContent(
            canonical_url=f"https://news.example.com/{slug}",
            title=f"Story {slug}",
            description=f"All about {slug}.",
            topics=("product",),
            publish_from=now - timedelta(days=1),
        )
        return (await add_content(session, workspace_id=workspace.id, new=new, now=now)).id


async def join(db: Database, tenant: str, user: str, *, now: datetime) -> None:
    """The person takes part in the programme."""
    async with db.session() as session:
        workspace = await get_or_create_workspace(session, platform="teams", external_id=tenant)
        person = await get_or_create_person(session, workspace_id=workspace.id, external_id=user)
        await set_status(
            session,
            person=person,
            status=ProgrammeStatus.IN,
            now=now or datetime.now().astimezone(),
        )


async def grant(db: Database, tenant: str, user: str, *roles: Role) -> None:
    """Give a person in the tenant roles."""
    async with db.session() as session:
        workspace = await get_or_create_workspace(session, platform="teams", external_id=tenant)
        person = await get_or_create_person(session, workspace_id=workspace.id, external_id=user)
        await set_roles(session, person_id=person.id, roles=roles)
