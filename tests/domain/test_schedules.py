"""Schedule words people type, occurrence arithmetic across zones and DST, and cadences."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.programme import Cadence
from domain.schedules import (
    ScheduleKind,
    WeeklyTime,
    cadence_allows,
    is_known_zone,
    latest_occurrence,
    parse_kind,
    parse_weekly_time,
)
from tests.hypothesis_profiles import examples

ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]


@pytest.mark.parametrize(
    ("day", "clock", "expected"),
    [
        ("mon", "10:00", WeeklyTime(0, 10, 0)),
        ("Friday", "15:30", WeeklyTime(4, 15, 30)),
        ("sun", "0:05", WeeklyTime(6, 0, 5)),
        ("daily", "23.59", WeeklyTime(None, 23, 59)),
        ("WED", "9h15", WeeklyTime(2, 9, 15)),
    ],
)
def test_weekly_times_are_read_as_people_write_them(
    day: str, clock: str, expected: WeeklyTime
) -> None:
    assert parse_weekly_time(day, clock) == expected
    assert parse_weekly_time(*expected.describe().split()) == expected


@pytest.mark.parametrize(
    ("day", "clock", "code"),
    [
        ("mo", "10:00", "schedule.bad_day"),
        ("someday", "10:00", "schedule.bad_day"),
        ("mon", "24:00", "schedule.bad_time"),
        ("mon", "10:60", "schedule.bad_time"),
        ("mon", "ten", "schedule.bad_time"),
    ],
)
def test_impossible_days_and_times_are_refused_by_name(day: str, clock: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_weekly_time(day, clock)
    assert refused.value.code == code


def test_schedule_kinds_are_named() -> None:
    assert parse_kind(" Digest ") is ScheduleKind.DIGEST
    with pytest.raises(InvalidInput) as refused:
        parse_kind("newsletter")
    assert "picks, digest, reminders" in refused.value.message.format(**refused.value.params)


def test_monday_ten_is_a_different_instant_in_each_zone() -> None:
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # a Monday
    monday_ten = WeeklyTime(0, 10)
    assert latest_occurrence(monday_ten, zone_name="Europe/Amsterdam", now=now) == datetime(
        2026, 11, 23, 9, 0, tzinfo=UTC
    )
    # Not yet 10:00 in New York: the latest occurrence was last week's.
    assert latest_occurrence(monday_ten, zone_name="America/New_York", now=now) == datetime(
        2026, 11, 16, 15, 0, tzinfo=UTC
    )


def test_occurrences_follow_daylight_saving_time() -> None:
    # Amsterdam leaves summer time on 25 October 2026.
    before = latest_occurrence(
        WeeklyTime(4, 15), zone_name="Europe/Amsterdam", now=datetime(2026, 10, 24, tzinfo=UTC)
    )
    after = latest_occurrence(
        WeeklyTime(4, 15), zone_name="Europe/Amsterdam", now=datetime(2026, 10, 31, tzinfo=UTC)
    )
    assert (before.hour, after.hour) == (13, 14)


@settings(max_examples=examples(0.3), deadline=None)
@given(
    when=st.builds(
        WeeklyTime,
        weekday=st.none() | st.integers(0, 6),
        hour=st.integers(0, 23),
        minute=st.integers(0, 59),
    ),
    zone_name=st.sampled_from(ZONES),
    now=st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC)),
)
def test_latest_occurrence_is_the_last_local_match_before_now(
    when: WeeklyTime, zone_name: str, now: datetime
) -> None:
    occurrence = latest_occurrence(when, zone_name=zone_name, now=now)
    period = timedelta(days=1 if when.weekday is None else 7)
    assert occurrence <= now
    assert now - occurrence < period + timedelta(hours=2)  # DST can stretch one period
    local = occurrence.astimezone(ZoneInfo(zone_name))
    if when.weekday is not None:
        assert local.weekday() == when.weekday


def test_zone_names_are_checked() -> None:
    assert is_known_zone("Europe/Amsterdam")
    assert not is_known_zone("Mars/Olympus_Mons")
    assert not is_known_zone("../etc/passwd")


@pytest.mark.parametrize(
    ("cadence", "days_since", "paused_until", "due"),
    [
        (Cadence.WEEKLY, None, None, True),
        (Cadence.WEEKLY, 7, None, True),
        (Cadence.FORTNIGHTLY, 7, None, False),
        (Cadence.FORTNIGHTLY, 14, None, True),
        (Cadence.MONTHLY, 21, None, False),
        (Cadence.MONTHLY, 28, None, True),
        (Cadence.PAUSED, 7, None, False),
        (Cadence.PAUSED, 7, date(2026, 12, 1), False),
        (Cadence.PAUSED, 7, date(2026, 11, 23), True),
    ],
)
def test_cadence_decides_who_is_due(
    cadence: Cadence, days_since: int | None, paused_until: date | None, due: bool
) -> None:
    at = datetime(2026, 11, 23, 9, tzinfo=UTC)
    last = None if days_since is None else at - timedelta(days=days_since)
    allowed = cadence_allows(
        cadence, last_picks_at=last, paused_until=paused_until, at=at, local_today=at.date()
    )
    assert allowed is due
