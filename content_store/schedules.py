"""Schedules as data: each workspace's send times, and the record of occurrences already run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Person, Schedule, ScheduleRun, Workspace
from content_store.upsert import insert_or_ignore
from domain.schedules import DEFAULT_SCHEDULES, ScheduleKind, WeeklyTime


@dataclass(frozen=True)
class WorkspaceSchedule:
    """One recurring send of one workspace, with the time zones its recipients live in."""

    workspace_id: int
    kind: ScheduleKind
    when: WeeklyTime
    enabled: bool
    zones: tuple[str, ...]


async def schedules_of(session: AsyncSession, *, workspace_id: int) -> dict[ScheduleKind, Schedule]:
    """The rows a workspace has saved (kinds without a row use the defaults)."""
    rows = await session.execute(select(Schedule).filter_by(workspace_id=workspace_id))
    return {ScheduleKind(row.kind): row for row in rows.scalars()}


async def effective_schedule(
    session: AsyncSession, *, workspace_id: int, kind: ScheduleKind
) -> tuple[WeeklyTime, bool]:
    """When a kind of send happens in a workspace, and whether it is on."""
    row = (await schedules_of(session, workspace_id=workspace_id)).get(kind)
    if row is None:
        return DEFAULT_SCHEDULES[kind], True
    return WeeklyTime(row.weekday, row.hour, row.minute), row.enabled


async def save_schedule(
    session: AsyncSession,
    *,
    workspace_id: int,
    kind: ScheduleKind,
    when: WeeklyTime,
    enabled: bool,
    now: datetime,
) -> None:
    """Create or change a workspace's schedule for one kind of send."""
    values = {"workspace_id": workspace_id, "kind": kind.value, "hour": when.hour}
    await insert_or_ignore(
        session,
        Schedule,
        {**values, "weekday": when.weekday, "minute": when.minute, "enabled": enabled},
        conflict_columns=("workspace_id", "kind"),
    )
    row = (await schedules_of(session, workspace_id=workspace_id))[kind]
    row.weekday, row.hour, row.minute = when.weekday, when.hour, when.minute
    row.enabled, row.updated_at = enabled, now


async def all_schedules(session: AsyncSession) -> list[WorkspaceSchedule]:
    """Every workspace's every kind of send, defaults filled in, with its recipients' zones."""
    workspaces = (await session.execute(select(Workspace).order_by(Workspace.id))).scalars()
    result = []
    for workspace in list(workspaces):
        zones = await recipient_zones(session, workspace=workspace)
        saved = await schedules_of(session, workspace_id=workspace.id)
        for kind in ScheduleKind:
            row = saved.get(kind)
            when = (
                DEFAULT_SCHEDULES[kind]
                if row is None
                else WeeklyTime(row.weekday, row.hour, row.minute)
            )
            enabled = row is None or row.enabled
            result.append(WorkspaceSchedule(workspace.id, kind, when, enabled, zones))
    return result


async def recipient_zones(session: AsyncSession, *, workspace: Workspace) -> tuple[str, ...]:
    """The distinct time zones of a workspace's people, and the workspace's own."""
    zone = func.coalesce(func.nullif(Person.timezone, ""), workspace.timezone)
    query = select(zone).where(Person.workspace_id == workspace.id).distinct()
    zones = {str(zone) for zone in (await session.execute(query)).scalars() if zone}
    # The workspace's own zone always counts: channel posts follow its clock.
    return tuple(sorted(zones | {workspace.timezone or "UTC"}))


async def claim_run(
    session: AsyncSession,
    *,
    workspace_id: int,
    kind: ScheduleKind,
    zone_name: str,
    occurrence: datetime,
) -> bool:
    """Record that an occurrence is being run; False when some run already took it."""
    values = {
        "workspace_id": workspace_id,
        "kind": kind.value,
        "timezone": zone_name,
        "occurrence": occurrence,
        "planned": 0,
    }
    return await insert_or_ignore(
        session,
        ScheduleRun,
        values,
        conflict_columns=("workspace_id", "kind", "timezone", "occurrence"),
    )
