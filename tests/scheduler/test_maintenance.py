"""Retention and content-status upkeep, as the scheduler runs them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from content_store.content import NewContent, add_content
from content_store.database import Database
from content_store.models import ContentItem, Event
from content_store.people import get_or_create_workspace
from domain.events import EventType
from domain.programme import ContentStatus
from handlers.context import Services
from scheduler.maintenance import build_scheduler, run_retention, run_status_upkeep
from tests.conftest import FakeClock


async def test_retention_keeps_recent_events(db: Database, clock: FakeClock) -> None:
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id="T")
        session.add(Event(workspace_id=ws.id, type=EventType.INVITED.value, created_at=clock.now()))
        old = clock.now() - timedelta(days=31)
        session.add(Event(workspace_id=ws.id, type=EventType.OPTED_IN.value, created_at=old))
    assert await run_retention(db=db, clock=clock, retention_days=30) == 1
    async with db.session() as session:
        assert list((await session.execute(select(Event.type))).scalars()) == ["invited"]


async def test_status_upkeep_starts_and_expires_items(db: Database, clock: FakeClock) -> None:
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id="T")
        soon = NewContent(
            canonical_url="https://e.example/soon",
            title="Soon",
            publish_from=clock.now() + timedelta(hours=1),
        )
        ending = NewContent(
            canonical_url="https://e.example/ending",
            title="Ending",
            publish_until=clock.now() + timedelta(hours=1),
        )
        await add_content(session, workspace_id=ws.id, new=soon, now=clock.now())
        await add_content(session, workspace_id=ws.id, new=ending, now=clock.now())
    clock.advance(hours=2)
    await run_status_upkeep(db=db, clock=clock)
    async with db.session() as session:
        statuses = dict(
            (await session.execute(select(ContentItem.title, ContentItem.status))).all()
        )
    assert statuses == {"Soon": ContentStatus.ACTIVE, "Ending": ContentStatus.EXPIRED}


async def test_scheduler_has_the_maintenance_jobs(
    db: Database, clock: FakeClock, services: Services
) -> None:
    scheduler = build_scheduler(db=db, clock=clock, retention_days=30, services=services)
    assert {job.id for job in scheduler.get_jobs()} == {
        "retention",
        "content-status",
        "insights-regroup",
    }
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ContentItem)) == 0
