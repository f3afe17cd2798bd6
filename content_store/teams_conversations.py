"""Repository for Teams conversation references: where the bot may write to people later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Person, TeamsConversation, Workspace
from content_store.upsert import upsert_returning

PLATFORM = "teams"
PERSONAL = "personal"


async def save_conversation(
    session: AsyncSession,
    *,
    workspace_id: int,
    conversation_id: str,
    kind: str,
    user_id: str,
    reference: dict[str, Any],
    now: datetime,
) -> int:
    """Store (or refresh) the reference of one conversation; returns its row id."""
    values = {"kind": kind, "user_id": user_id, "reference": reference, "updated_at": now}
    # One upsert, so two replicas seeing the same activity cannot both insert.
    row = await upsert_returning(
        session,
        TeamsConversation,
        {"workspace_id": workspace_id, "conversation_id": conversation_id, **values},
        conflict_columns=("workspace_id", "conversation_id"),
        update_columns=tuple(values),
        returning=("id",),
    )
    return int(row.id)


def _in_tenant(tenant_id: str) -> Any:
    return (
        select(TeamsConversation)
        .join(Workspace, Workspace.id == TeamsConversation.workspace_id)
        .where(Workspace.platform == PLATFORM, Workspace.external_id == tenant_id)
    )


async def find_personal_chat(
    session: AsyncSession, *, tenant_id: str, user_id: str
) -> TeamsConversation | None:
    """The person's most recent personal chat with the bot, if they ever had one."""
    query = (
        _in_tenant(tenant_id)
        .where(TeamsConversation.kind == PERSONAL, TeamsConversation.user_id == user_id)
        .order_by(TeamsConversation.updated_at.desc(), TeamsConversation.id.desc())
        .limit(1)
    )
    found: TeamsConversation | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def find_conversation(
    session: AsyncSession, *, tenant_id: str, conversation_id: str
) -> TeamsConversation | None:
    """The stored conversation with this Teams conversation id."""
    query = _in_tenant(tenant_id).where(TeamsConversation.conversation_id == conversation_id)
    found: TeamsConversation | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def get_conversation(
    session: AsyncSession, *, tenant_id: str, row_id: int
) -> TeamsConversation | None:
    """The stored conversation with this row id, only within the tenant."""
    query = _in_tenant(tenant_id).where(TeamsConversation.id == row_id)
    found: TeamsConversation | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def forget_conversation(
    session: AsyncSession, *, workspace_id: int, conversation_id: str
) -> bool:
    """Drop a conversation the app was removed from; True if one was stored."""
    result = await session.execute(
        delete(TeamsConversation).where(
            TeamsConversation.workspace_id == workspace_id,
            TeamsConversation.conversation_id == conversation_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def recipient_locale(session: AsyncSession, *, tenant_id: str, user_id: str | None) -> str:
    """The language to write to someone in: theirs, else the tenant's, else English."""
    query = select(Workspace.locale, Person.locale).where(
        Workspace.platform == PLATFORM, Workspace.external_id == tenant_id
    )
    query = query.outerjoin(
        Person, (Person.workspace_id == Workspace.id) & (Person.external_id == (user_id or ""))
    )
    row = (await session.execute(query)).first()
    if row is None:
        return "en"
    workspace_locale, person_locale = row
    return str(person_locale or workspace_locale or "en")


async def forget_person(session: AsyncSession, *, workspace_id: int, user_id: str) -> set[str]:
    """Erase one person from the stored references: their personal chats go, and they are
    taken out of the references of channels and group chats (who spoke last).

    `user_id` is their Entra object id (the person's external id); returns the other Teams
    ids found for them (the `29:` ids), so callers can erase those elsewhere too.
    """
    rows = (
        await session.execute(select(TeamsConversation).filter_by(workspace_id=workspace_id))
    ).scalars()
    found: set[str] = set()
    for row in rows:
        account = row.reference.get("user")
        theirs = isinstance(account, dict) and account.get("aadObjectId") == user_id
        if theirs and isinstance(account, dict) and isinstance(account.get("id"), str):
            found.add(account["id"])
        if row.kind == PERSONAL and row.user_id == user_id:
            await session.delete(row)
        elif theirs:
            # A proactive message to a channel needs its conversation and service URL only.
            row.reference = {k: v for k, v in row.reference.items() if k != "user"}
    return found
