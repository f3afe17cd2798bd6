"""When the recurring sends happen: show them to anyone, change them as an admin."""

from __future__ import annotations

from datetime import time

from babel.dates import format_time, get_day_names
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.schedules import effective_schedule, save_schedule
from domain.programme import Role
from domain.schedules import ScheduleKind, WeeklyTime
from handlers.context import Caller, Services, audit, load_caller, require_role
from handlers.types import Actor, Reply, Text
from messages import format_duration, format_locale, translate


async def show_schedule(services: Services, actor: Actor) -> Reply:
    """Each recurring send, its local time and whether it is on, and the pause state."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        lines = [await _line(session, caller, kind) for kind in ScheduleKind]
    state = "schedule.paused" if caller.workspace.paused else "schedule.running"
    grace = format_duration(services.slot_grace, caller.locale)
    footer = translate("schedule.footer", caller.locale, duration=grace)
    blocks = [Text(translate("schedule.title", caller.locale), heading=True)]
    blocks += [Text(line) for line in lines]
    blocks += [Text(translate(state, caller.locale)), Text(footer)]
    return Reply(blocks=tuple(blocks))


async def _line(session: AsyncSession, caller: Caller, kind: ScheduleKind) -> str:
    when, enabled = await effective_schedule(session, workspace_id=caller.workspace.id, kind=kind)
    key = "schedule.line" if enabled else "schedule.line.off"
    label = translate(f"schedule.kind.{kind.value}", caller.locale)
    return translate(key, caller.locale, kind=label, when=describe(when, caller.locale))


def describe(when: WeeklyTime, locale: str) -> str:
    """'every Monday at 10:00' or 'elke dag om 11:00': Babel's day names and time format."""
    babel_locale = format_locale(locale)
    at = format_time(time(when.hour, when.minute), format="short", locale=babel_locale)
    if when.weekday is None:
        return translate("schedule.when.daily", locale, time=at)
    # Babel numbers weekdays from Monday = 0, as WeeklyTime does.
    day = get_day_names("wide", locale=babel_locale)[when.weekday]
    return translate("schedule.when.weekly", locale, day=day, time=at)


async def change_schedule(
    services: Services,
    actor: Actor,
    *,
    kind: ScheduleKind,
    when: WeeklyTime | None,
    enabled: bool | None,
) -> Reply:
    """(Admins) move a recurring send to another time, or turn it off or on again."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.ADMIN)
        workspace_id = caller.workspace.id
        current, was_on = await effective_schedule(session, workspace_id=workspace_id, kind=kind)
        new_when, new_on = when or current, was_on if enabled is None else enabled
        await save_schedule(
            session,
            workspace_id=workspace_id,
            kind=kind,
            when=new_when,
            enabled=new_on,
            now=services.clock.now(),
        )
        audit(session, caller, "schedule.change", kind.value, when=new_when.describe(), on=new_on)
    label = translate(f"schedule.kind.{kind.value}", caller.locale)
    key = "schedule.saved" if new_on else "schedule.saved.off"
    return Reply.text(
        translate(key, caller.locale, kind=label, when=describe(new_when, caller.locale))
    )
