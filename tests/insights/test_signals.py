"""Each signal, computed by the plain-Python reference from a person's facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.events import EventType
from insights.signals import EventFact, PersonFacts, Signals, signals_of, week_number

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
WINDOW = 48 * 3600


def _facts(*events: tuple[EventType, timedelta, str | None], **extra: object) -> PersonFacts:
    facts = tuple(
        EventFact(index, kind.value, MONDAY + offset, source)
        for index, (kind, offset, source) in enumerate(events, start=1)
    )
    return PersonFacts(person_id=1, status="in", events=facts, **extra)  # type: ignore[arg-type]


def _signals(facts: PersonFacts, *, now: datetime | None = None) -> Signals:
    return signals_of(facts, now=now or MONDAY + timedelta(weeks=4), nudge_window_seconds=WINDOW)


def test_weeks_start_on_monday() -> None:
    sunday_night = MONDAY - timedelta(hours=9, seconds=1)
    assert week_number(int(MONDAY.timestamp())) == week_number(int(sunday_night.timestamp())) + 1
    assert week_number(int((MONDAY + timedelta(days=6, hours=14)).timestamp())) == week_number(
        int(MONDAY.timestamp())
    )


def test_joining_unprompted_or_after_a_reminder() -> None:
    alone = _signals(_facts((EventType.OPTED_IN, timedelta(0), None)))
    assert alone.opted_in and not alone.opted_in_after_reminder
    reminded = _signals(
        _facts(
            (EventType.REMINDED, timedelta(days=7), None),
            (EventType.OPTED_IN, timedelta(days=7, hours=2), None),
        )
    )
    assert reminded.opted_in_after_reminder and reminded.reminders == 1
    never = _signals(_facts((EventType.REMINDED, timedelta(days=7), None)))
    assert not never.opted_in and not never.opted_in_after_reminder


def test_a_share_right_after_a_dm_is_nudged_and_one_from_home_is_not() -> None:
    signals = _signals(
        _facts(
            (EventType.PICKS_SHOWN, timedelta(0), "dm"),
            (EventType.SHARE_INTENT, timedelta(hours=2), "dm"),
            (EventType.SHARE_INTENT, timedelta(hours=3), "home"),
            (EventType.SHARE_INTENT, timedelta(hours=4), "now"),
        )
    )
    assert (signals.shares, signals.unprompted_shares, signals.nudged_shares) == (3, 2, 1)
    assert signals.picks_received == 1


def test_a_share_long_after_the_nudge_is_unprompted_unless_a_reminder_came_between() -> None:
    late = _facts(
        (EventType.PICKS_SHOWN, timedelta(0), "dm"),
        (EventType.SHARE_INTENT, timedelta(hours=49), "dm"),
    )
    assert _signals(late).unprompted_shares == 1
    reminded = _facts(
        (EventType.PICKS_SHOWN, timedelta(0), "dm"),
        (EventType.REMINDED, timedelta(hours=47), None),
        (EventType.SHARE_INTENT, timedelta(hours=49), "dm"),
    )
    assert _signals(reminded).unprompted_shares == 0


def test_picks_the_person_asked_for_are_no_nudge() -> None:
    signals = _signals(
        _facts(
            (EventType.PICKS_SHOWN, timedelta(0), "now"),
            (EventType.SHARE_INTENT, timedelta(minutes=5), "dm"),
        )
    )
    assert signals.unprompted_shares == 1 and signals.picks_received == 0


def test_steadiness_and_burstiness() -> None:
    signals = _signals(
        _facts(
            (EventType.OPTED_IN, timedelta(0), None),
            (EventType.SHARE_INTENT, timedelta(days=1), "home"),
            (EventType.SHARE_INTENT, timedelta(days=2), "home"),
            (EventType.SHARE_INTENT, timedelta(days=3), "home"),
            (EventType.SHARE_INTENT, timedelta(days=15), "home"),
        ),
        now=MONDAY + timedelta(days=22),
    )
    assert (signals.weeks_in_programme, signals.weeks_with_share) == (4, 2)
    assert signals.steadiness == 0.5
    assert signals.busiest_week_shares == 3 and signals.burstiness == 0.75


def test_rewrite_ratio_is_the_average_over_shares() -> None:
    assert _signals(_facts(rewrite_ratios=(0.0, 0.5, 1.0))).rewrite_ratio == 0.5
    assert _signals(_facts()).rewrite_ratio is None


def test_counts_of_suggestions_help_feedback_topics_and_clicks() -> None:
    signals = _signals(
        _facts(
            (EventType.CONTENT_SUGGESTED, timedelta(0), None),
            (EventType.HELP_ASKED, timedelta(1), None),
            (EventType.HELP_ASKED, timedelta(2), None),
            (EventType.NOT_FOR_ME, timedelta(3), None),
            (EventType.MORE_LIKE_THIS, timedelta(4), None),
            (EventType.MORE_LIKE_THIS, timedelta(5), None),
            topics_chosen=2,
            clicks=7,
        )
    )
    assert (signals.content_suggested, signals.help_asked, signals.feedback_given) == (1, 2, 3)
    assert (signals.topics_chosen, signals.clicks) == (2, 7)


def test_nobody_in_the_programme_has_no_steadiness() -> None:
    signals = _signals(_facts())
    assert signals.weeks_in_programme == 0 and signals.steadiness == 0.0
    assert signals.unprompted_fraction == 0.0 and signals.burstiness == 0.0
