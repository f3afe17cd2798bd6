"""Schedules to jobs, and each occurrence planned once: on time, after downtime, after a pause."""

from __future__ import annotations

from datetime import datetime

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select, update

from content_store.models import Delivery, Person, ScheduleRun, Workspace
from content_store.schedules import save_schedule
from domain.programme import Role
from domain.schedules import ScheduleKind, WeeklyTime
from handlers import programme, workspace_admin
from handlers.context import Services
from handlers.deliveries import plan_picks
from scheduler.planner import SlotPlanner, SlotRunner
from tests.conftest import FakeClock
from tests.factories import actor, add_item, grant


def _runner() -> SlotRunner:
    async def run(services: Services, workspace: Workspace, zone: str, at: datetime) -> int:
        return await plan_picks(services, workspace=workspace, occurrence=at, zone_name=zone)

    return run


async def _setup(services: Services, clock: FakeClock) -> SlotPlanner:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    for user, zone in (("U-AMS", "Europe/Amsterdam"), ("U-NY", "America/New_York")):
        await programme.answer_invitation(services, actor(user), "in")
        async with services.db.session() as session:
            await session.execute(
                update(Person).where(Person.external_id == user).values(timezone=zone)
            )
    scheduler = AsyncIOScheduler(timezone="UTC")
    return SlotPlanner(services, scheduler, runners={ScheduleKind.PICKS: _runner()})


async def _deliveries(services: Services) -> dict[str, int]:
    async with services.db.session() as session:
        query = (
            select(Person.external_id, func.count(Delivery.id))
            .join(Delivery, Delivery.person_id == Person.id)
            .group_by(Person.external_id)
        )
        return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def test_one_job_per_zone_and_kind_fires_at_local_time(
    services: Services, clock: FakeClock
) -> None:
    planner = await _setup(services, clock)
    clock.current = datetime.fromisoformat("2026-11-23T08:00:00+00:00")  # Monday, before 10:00
    assert await planner.sync() == 0
    ids = sorted(job.id for job in planner.scheduler.get_jobs())
    assert ids == ["picks:1:America/New_York", "picks:1:Europe/Amsterdam", "picks:1:UTC"]
    trigger = str(planner.scheduler.get_job("picks:1:Europe/Amsterdam").trigger)
    assert "day_of_week='0'" in trigger and "hour='10'" in trigger


async def test_an_occurrence_missed_by_downtime_runs_once_within_the_grace_window(
    services: Services, clock: FakeClock
) -> None:
    planner = await _setup(services, clock)
    # Monday 12:00 Amsterdam: the 10:00 slot was missed two hours ago; New York's is ahead.
    clock.current = datetime.fromisoformat("2026-11-23T11:00:00+00:00")
    assert await planner.sync() == 1
    assert await planner.sync() == 0
    assert await _deliveries(services) == {"U-AMS": 1}
    clock.current = datetime.fromisoformat("2026-11-23T15:30:00+00:00")  # 10:30 in New York
    assert await planner.catch_up() == 1
    assert await _deliveries(services) == {"U-AMS": 1, "U-NY": 1}


async def test_an_occurrence_older_than_the_grace_window_is_let_go(
    services: Services, clock: FakeClock
) -> None:
    planner = await _setup(services, clock)
    clock.current = datetime.fromisoformat("2026-11-23T17:00:00+00:00")  # 18:00 Amsterdam
    await planner.sync()
    assert "U-AMS" not in await _deliveries(services)


async def test_a_slot_during_a_pause_runs_after_resume_if_still_in_time(
    services: Services, clock: FakeClock
) -> None:
    planner = await _setup(services, clock)
    await grant(services.db, "U-ADMIN", Role.CONTENT)
    await workspace_admin.set_paused(services, actor("U-ADMIN"), paused=True)
    clock.current = datetime.fromisoformat("2026-11-23T09:01:00+00:00")
    assert await planner.sync() == 0
    await workspace_admin.set_paused(services, actor("U-ADMIN"), paused=False)
    assert await planner.catch_up() == 1
    assert await _deliveries(services) == {"U-AMS": 1}


async def _wednesday_half_past_eight(services: Services, *, enabled: bool) -> None:
    async with services.db.session() as session:
        await save_schedule(
            session,
            workspace_id=1,
            kind=ScheduleKind.PICKS,
            when=WeeklyTime(2, 8, 30),
            enabled=enabled,
            now=services.clock.now(),
        )


async def test_changed_schedules_rebuild_the_jobs(services: Services, clock: FakeClock) -> None:
    planner = await _setup(services, clock)
    clock.current = datetime.fromisoformat("2026-11-23T08:00:00+00:00")
    await planner.sync()
    await _wednesday_half_past_eight(services, enabled=True)
    await planner.sync()
    trigger = str(planner.scheduler.get_job("picks:1:UTC").trigger)
    assert "day_of_week='2'" in trigger and "minute='30'" in trigger
    await _wednesday_half_past_eight(services, enabled=False)
    await planner.sync()
    assert planner.scheduler.get_jobs() == []


async def test_a_failed_run_is_tried_again_by_the_next_sync(
    services: Services, clock: FakeClock
) -> None:
    planner = await _setup(services, clock)
    clock.current = datetime.fromisoformat("2026-11-23T09:05:00+00:00")
    planner.runners[ScheduleKind.PICKS] = _failing
    with pytest.raises(RuntimeError):
        await planner.sync()
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ScheduleRun)) == 0
    planner.runners[ScheduleKind.PICKS] = _runner()
    assert await planner.catch_up() == 1


async def _failing(services: Services, workspace: Workspace, zone: str, at: datetime) -> int:
    raise RuntimeError("database went away")
