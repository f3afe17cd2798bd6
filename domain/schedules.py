"""Recurring sends: what kinds there are, when they happen, and the arithmetic of occurrences."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import InvalidInput
from domain.programme import Cadence

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")


class ScheduleKind(enum.StrEnum):
    """A recurring send; each happens in the recipient's own time zone."""

    PICKS = "picks"
    DIGEST = "digest"
    REMINDERS = "reminders"


@dataclass(frozen=True)
class WeeklyTime:
    """A local time on one weekday (0 = Monday), or every day when `weekday` is None."""

    weekday: int | None
    hour: int
    minute: int = 0

    def describe(self) -> str:
        """'mon 10:00' or 'daily 09:30', the form `parse_weekly_time` reads."""
        day = "daily" if self.weekday is None else WEEKDAYS[self.weekday]
        return f"{day} {self.hour:02d}:{self.minute:02d}"


DEFAULT_SCHEDULES = {
    ScheduleKind.PICKS: WeeklyTime(weekday=0, hour=10),
    ScheduleKind.DIGEST: WeeklyTime(weekday=4, hour=15),
    ScheduleKind.REMINDERS: WeeklyTime(weekday=None, hour=11),
}


def parse_kind(text: str) -> ScheduleKind:
    """A schedule kind from its name ('picks', 'digest', 'reminders')."""
    try:
        return ScheduleKind(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            "schedule.unknown_kind",
            "'{text}' is not a schedule; use one of: {kinds}.",
            text=text[:40],
            kinds=", ".join(kind.value for kind in ScheduleKind),
        ) from None


def parse_weekly_time(day: str, clock: str) -> WeeklyTime:
    """'mon' / 'monday' / 'daily' and '10:00' into a WeeklyTime; anything else is refused."""
    hour, minute = _clock(clock)
    return WeeklyTime(weekday=_weekday(day), hour=hour, minute=minute)


def _weekday(text: str) -> int | None:
    word = text.strip().lower()
    if word in ("daily", "everyday", "every-day"):
        return None
    for index, name in enumerate(_DAY_NAMES):
        if len(word) >= 3 and name.startswith(word):
            return index
    raise InvalidInput(
        "schedule.bad_day",
        "'{text}' is not a day; use mon, tue, wed, thu, fri, sat, sun or daily.",
        text=text[:40],
    )


def _clock(text: str) -> tuple[int, int]:
    match = _TIME.match(text.strip())
    if not match:
        raise InvalidInput(
            "schedule.bad_time", "'{text}' is not a time; write it as 10:00.", text=text[:40]
        )
    return int(match.group(1)), int(match.group(2))


def zone(name: str | None) -> ZoneInfo:
    """The named time zone, or UTC when the name is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_known_zone(name: str) -> bool:
    """True for an IANA time zone name this machine knows ('Europe/Amsterdam')."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def latest_occurrence(when: WeeklyTime, *, zone_name: str, now: datetime) -> datetime:
    """The last moment at or before `now` that the schedule fired in that zone (as UTC)."""
    local_now = now.astimezone(zone(zone_name))
    step = 1 if when.weekday is None else 7
    back = 0 if when.weekday is None else (local_now.weekday() - when.weekday) % 7
    day = local_now.date() - timedelta(days=back)
    while True:
        local = datetime(day.year, day.month, day.day, when.hour, when.minute)
        candidate = local.replace(tzinfo=zone(zone_name)).astimezone(UTC)
        if candidate <= now:
            return candidate
        day -= timedelta(days=step)


# The least time between two picks deliveries for each cadence; a little under the nominal
# period so that a send a few hours late one week does not skip the next.
CADENCE_GAP = {
    Cadence.WEEKLY: timedelta(days=0),
    Cadence.FORTNIGHTLY: timedelta(days=13),
    Cadence.MONTHLY: timedelta(days=27),
}


def cadence_allows(
    cadence: Cadence,
    *,
    last_picks_at: datetime | None,
    paused_until: date | None,
    at: datetime,
    local_today: date,
) -> bool:
    """Whether a person's cadence lets picks go to them at `at`.

    A date in `paused_until` is a snooze: nothing before that day, then the cadence again
    (for the cadence 'paused' itself, a snooze's end means picks resume).
    """
    if paused_until is not None and local_today < paused_until:
        return False
    if cadence is Cadence.PAUSED:
        return paused_until is not None and paused_until <= local_today
    return last_picks_at is None or at - last_picks_at >= CADENCE_GAP[cadence]


def personally_paused(cadence: Cadence, *, paused_until: date | None, local_today: date) -> bool:
    """Whether the person asked for no picks today: a pause, or a snooze not yet over."""
    if paused_until is not None and local_today < paused_until:
        return True
    return cadence is Cadence.PAUSED and (paused_until is None or local_today < paused_until)
