"""Teams conversation references: stored, refreshed, found per person or conversation, forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from content_store.database import Database
from content_store.models import TeamsConversation
from content_store.people import get_or_create_workspace
from content_store.teams_conversations import (
    find_conversation,
    find_personal_chat,
    forget_conversation,
    get_conversation,
    save_conversation,
)

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
TENANT = "tenant-1"


async def _workspace(db: Database, tenant: str = TENANT) -> int:
    async with db.session() as session:
        return (await get_or_create_workspace(session, platform="teams", external_id=tenant)).id


async def _save(
    db: Database,
    workspace_id: int,
    conversation: str,
    *,
    kind: str = "personal",
    user_id: str = "aad-1",
    reference: dict[str, Any] | None = None,
    now: datetime = NOW,
) -> int:
    async with db.session() as session:
        return await save_conversation(
            session,
            workspace_id=workspace_id,
            conversation_id=conversation,
            kind=kind,
            user_id=user_id,
            reference=reference or {"conversation": {"id": conversation}},
            now=now,
        )


async def test_a_reference_is_stored_once_and_refreshed(db: Database) -> None:
    workspace_id = await _workspace(db)
    first = await _save(db, workspace_id, "a:1")
    later = NOW + timedelta(days=1)
    again = await _save(
        db, workspace_id, "a:1", reference={"serviceUrl": "https://new.example"}, now=later
    )
    assert again == first
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(TeamsConversation)) == 1
        row = await get_conversation(session, tenant_id=TENANT, row_id=first)
    assert row is not None
    assert row.reference == {"serviceUrl": "https://new.example"}
    assert row.updated_at == later


async def test_the_latest_personal_chat_of_a_person_is_found(db: Database) -> None:
    workspace_id = await _workspace(db)
    await _save(db, workspace_id, "a:old")
    newest = await _save(db, workspace_id, "a:new", now=NOW + timedelta(hours=1))
    await _save(db, workspace_id, "19:channel", kind="channel", user_id="")
    async with db.session() as session:
        found = await find_personal_chat(session, tenant_id=TENANT, user_id="aad-1")
        nobody = await find_personal_chat(session, tenant_id=TENANT, user_id="aad-2")
        channel = await find_conversation(session, tenant_id=TENANT, conversation_id="19:channel")
    assert found is not None and found.id == newest
    assert nobody is None
    assert channel is not None and channel.kind == "channel"


async def test_lookups_never_cross_tenants(db: Database) -> None:
    mine = await _workspace(db)
    theirs = await _workspace(db, "tenant-2")
    row_id = await _save(db, theirs, "a:theirs")
    await _save(db, mine, "a:mine", user_id="aad-9")
    async with db.session() as session:
        assert await get_conversation(session, tenant_id=TENANT, row_id=row_id) is None
        assert (
            await find_conversation(session, tenant_id=TENANT, conversation_id="a:theirs") is None
        )
        assert await find_personal_chat(session, tenant_id=TENANT, user_id="aad-1") is None
        other = await find_personal_chat(session, tenant_id="tenant-2", user_id="aad-1")
    assert other is not None


async def test_a_removed_app_forgets_the_conversation(db: Database) -> None:
    workspace_id = await _workspace(db)
    await _save(db, workspace_id, "a:1")
    async with db.session() as session:
        assert await forget_conversation(session, workspace_id=workspace_id, conversation_id="a:1")
        assert not await forget_conversation(
            session, workspace_id=workspace_id, conversation_id="a:1"
        )
        assert await find_personal_chat(session, tenant_id=TENANT, user_id="aad-1") is None
