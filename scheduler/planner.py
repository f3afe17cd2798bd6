"""Schedules become APScheduler jobs; each occurrence is planned into the outbox exactly once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete

from content_store.models import ScheduleRun, Workspace
from content_store.schedules import WorkspaceSchedule, all_schedules, claim_run
from domain.schedules import ScheduleKind, WeeklyTime, latest_occurrence
from handlers.context import Services

log = logging.getLogger(__name__)

# Plans one occurrence for the recipients in one zone; returns how many sends it queued.
SlotRunner = Callable[[Services, Workspace, str, datetime], Awaitable[int]]


@dataclass(frozen=True)
class JobSpec:
    """One APScheduler job: a kind of send for one workspace's recipients in one zone."""

    workspace_id: int
    kind: ScheduleKind
    zone_name: str
    when: WeeklyTime

    @property
    def job_id(self) -> str:
        """Stable id, so a sync can tell which jobs changed."""
        return f"{self.kind.value}:{self.workspace_id}:{self.zone_name}"


class SlotPlanner:
    """Keeps the leader's jobs in line with the schedule tables and runs missed occurrences.

    A job firing on time, a catch-up after downtime and another replica's run all meet at the
    `schedule_runs` key, so each occurrence is planned once.
    """

    def __init__(
        self,
        services: Services,
        scheduler: AsyncIOScheduler,
        *,
        runners: Mapping[ScheduleKind, SlotRunner],
        on_planned: Callable[[], None] = lambda: None,
    ) -> None:
        self.services = services
        self.scheduler = scheduler
        self.runners = dict(runners)
        self.on_planned = on_planned
        self._jobs: dict[str, JobSpec] = {}

    async def sync(self) -> int:
        """Rebuild jobs from the tables, then run any occurrence missed within the grace window."""
        async with self.services.db.session() as session:
            schedules = await all_schedules(session)
        wanted = {spec.job_id: spec for spec in _specs(schedules, self.runners)}
        for job_id in set(self._jobs) - set(wanted):
            self.scheduler.remove_job(job_id)
            del self._jobs[job_id]
        for job_id, spec in wanted.items():
            if self._jobs.get(job_id) != spec:
                self._add_job(spec)
        return await self.catch_up()

    def _add_job(self, spec: JobSpec) -> None:
        day = "*" if spec.when.weekday is None else str(spec.when.weekday)
        trigger = CronTrigger(
            day_of_week=day, hour=spec.when.hour, minute=spec.when.minute, timezone=spec.zone_name
        )
        if self.scheduler.get_job(spec.job_id) is not None:
            self.scheduler.remove_job(spec.job_id)
        self.scheduler.add_job(
            self.run_due,
            trigger,
            kwargs={"spec": spec},
            id=spec.job_id,
            coalesce=True,
            misfire_grace_time=int(self.services.slot_grace.total_seconds()),
        )
        self._jobs[spec.job_id] = spec

    async def catch_up(self) -> int:
        """Run every job's latest occurrence that is within the grace window and not yet run."""
        return sum([await self.run_due(spec) for spec in list(self._jobs.values())])

    async def run_due(self, spec: JobSpec) -> int:
        """Plan the spec's latest occurrence if it is still in time and nobody has; how many."""
        now = self.services.clock.now()
        occurrence = latest_occurrence(spec.when, zone_name=spec.zone_name, now=now)
        if now - occurrence > self.services.slot_grace:
            return 0
        return await self.run_occurrence(spec, occurrence)

    async def run_occurrence(self, spec: JobSpec, occurrence: datetime) -> int:
        """Plan one occurrence once. A paused workspace is left for a catch-up after resume."""
        async with self.services.db.session() as session:
            workspace = await session.get(Workspace, spec.workspace_id)
            if workspace is None or workspace.paused:
                return 0
            if not await claim_run(
                session,
                workspace_id=spec.workspace_id,
                kind=spec.kind,
                zone_name=spec.zone_name,
                occurrence=occurrence,
            ):
                return 0
        try:
            planned = await self.runners[spec.kind](
                self.services, workspace, spec.zone_name, occurrence
            )
        except Exception:
            await self._forget(spec, occurrence)  # so the next sync tries it again
            raise
        await self._record(spec, occurrence, planned)
        log.info("%s at %s: %d sends queued", spec.job_id, occurrence.isoformat(), planned)
        if planned:
            self.on_planned()
        return planned

    async def _record(self, spec: JobSpec, occurrence: datetime, planned: int) -> None:
        async with self.services.db.session() as session:
            run = await session.get(
                ScheduleRun, (spec.workspace_id, spec.kind.value, spec.zone_name, occurrence)
            )
            if run is not None:
                run.planned = planned

    async def _forget(self, spec: JobSpec, occurrence: datetime) -> None:
        async with self.services.db.session() as session:
            await session.execute(
                delete(ScheduleRun).filter_by(
                    workspace_id=spec.workspace_id,
                    kind=spec.kind.value,
                    timezone=spec.zone_name,
                    occurrence=occurrence,
                )
            )


def _specs(
    schedules: list[WorkspaceSchedule], runners: Mapping[ScheduleKind, SlotRunner]
) -> list[JobSpec]:
    return [
        JobSpec(entry.workspace_id, entry.kind, zone_name, entry.when)
        for entry in schedules
        if entry.enabled and entry.kind in runners
        for zone_name in entry.zones
    ]
