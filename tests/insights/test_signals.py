"""Each signal, computed by the plain-Python reference from a person's facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.events import EventType
from insights.signals import (
    EventFact,
    PersonFacts,
    Raw,
    ShareFact,
    Signals,
    Timing,
    own_accord,
    signals_of,
    summarise_all,
    week_number,
)

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
TIMING = Timing()
HOUR = 3600


def _facts(*events: tuple[Any, ...], **extra: Any) -> PersonFacts:
    facts = []
    for index, (kind, offset, source, *rest) in enumerate(events, start=1):
        content_id, payload = [*rest, None, None][:2]
        facts.append(
            EventFact(index, kind.value, MONDAY + offset, source, content_id, payload or {})
        )
    return PersonFacts(person_id=1, status="in", events=tuple(facts), **extra)


def _signals(facts: PersonFacts, *, now: datetime | None = None) -> Signals:
    return signals_of(facts, now=now or MONDAY + timedelta(weeks=4), timing=TIMING)


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


def test_own_accord_grows_smoothly_with_the_time_since_the_nudge() -> None:
    """No hard cut: a day later counts half, two days three quarters, no nudge fully."""
    assert own_accord(0, TIMING) == 0.0
    assert own_accord(24 * HOUR, TIMING) == pytest.approx(0.5)
    assert own_accord(48 * HOUR, TIMING) == pytest.approx(0.75)
    assert own_accord(47 * HOUR, TIMING) < own_accord(49 * HOUR, TIMING) < 0.8
    assert own_accord(None, TIMING) == 1.0


def test_a_share_the_next_day_counts_half_and_is_within_two_days_of_my_message() -> None:
    signals = _signals(
        _facts(
            (EventType.PICKS_SHOWN, timedelta(0), "dm"),
            (EventType.SHARE_INTENT, timedelta(hours=24), "dm"),
            (EventType.SHARE_INTENT, timedelta(hours=72), "home"),
        )
    )
    assert signals.shares == 2
    assert signals.shares_soon_after_nudge == 1 and signals.later_shares == 1
    assert signals.own_accord == pytest.approx((0.5 + 0.875) / 2)


def test_the_source_does_not_hide_a_nudge_and_a_reminder_between_is_the_latest() -> None:
    home_soon = _signals(
        _facts(
            (EventType.PICKS_SHOWN, timedelta(0), "dm"),
            (EventType.SHARE_INTENT, timedelta(minutes=5), "home"),
        )
    )
    assert home_soon.own_accord < 0.01
    reminded = _signals(
        _facts(
            (EventType.PICKS_SHOWN, timedelta(0), "dm"),
            (EventType.REMINDED, timedelta(hours=47), None),
            (EventType.SHARE_INTENT, timedelta(hours=49), "dm"),
        )
    )
    assert reminded.own_accord == pytest.approx(1 - 0.5 ** (2 / 24))


def test_a_push_logged_from_outside_counts_as_a_nudge() -> None:
    """Someone nudged by their manager days after my DM shares soon after that push."""
    facts = _facts(
        (EventType.PICKS_SHOWN, timedelta(0), "dm"),
        (EventType.NUDGED_ELSEWHERE, timedelta(days=3), None),
        (EventType.SHARE_INTENT, timedelta(days=3, hours=2), "home"),
    )
    signals = _signals(facts)
    assert signals.shares_soon_after_nudge == 1 and signals.own_accord < 0.1
    assert signals.nudges_logged == 1


def test_picks_the_person_asked_for_are_no_nudge() -> None:
    signals = _signals(
        _facts(
            (EventType.PICKS_SHOWN, timedelta(0), "now"),
            (EventType.SHARE_INTENT, timedelta(minutes=5), "dm"),
        )
    )
    assert signals.own_accord == 1.0 and signals.picks_received == 0


def test_only_complete_weeks_count() -> None:
    signals = _signals(
        _facts(
            (EventType.OPTED_IN, timedelta(0), None),
            (EventType.SHARE_INTENT, timedelta(days=1), "home"),
            (EventType.SHARE_INTENT, timedelta(days=2), "home"),
            (EventType.SHARE_INTENT, timedelta(days=3), "home"),
            (EventType.SHARE_INTENT, timedelta(days=15), "home"),
            (EventType.SHARE_INTENT, timedelta(days=22), "home"),
        ),
        now=MONDAY + timedelta(days=22, hours=1),
    )
    # The week in progress (day 21 onwards) neither counts as a week in nor as a week shared.
    assert (signals.weeks_in_programme, signals.weeks_with_share) == (3, 2)
    assert signals.steadiness == pytest.approx(2 / 3)
    assert signals.busiest_week_shares == 3 and signals.shares == 5


def _several(*shares: tuple[int, int | None], now_days: int = 22) -> int:
    """weeks_with_several for someone who joined on MONDAY and shared (day, item) pairs."""
    events: list[tuple[Any, ...]] = [(EventType.OPTED_IN, timedelta(0), None)]
    events += [(EventType.SHARE_INTENT, timedelta(days=d), "home", item) for d, item in shares]
    return _signals(
        _facts(*events), now=MONDAY + timedelta(days=now_days, hours=1)
    ).weeks_with_several


def test_the_same_item_twice_in_a_week_is_not_several() -> None:
    assert _several((1, 7), (3, 7)) == 0


def test_two_different_items_in_a_complete_week_make_one_week_with_several() -> None:
    assert _several((1, 7), (3, 8)) == 1
    # The same item again that week changes nothing; a third item neither.
    assert _several((1, 7), (3, 8), (4, 7), (5, 9)) == 1


def test_two_items_in_the_week_in_progress_do_not_count_until_it_is_over() -> None:
    assert _several((21, 7), (22, 8)) == 0
    assert _several((21, 7), (22, 8), now_days=28) == 1


def test_one_item_a_week_is_never_several_and_each_week_counts_once() -> None:
    # Monday and the next Monday: two different items, but in two different weeks.
    assert _several((0, 7), (7, 8)) == 0
    assert _several((0, 7), (6, 8), (7, 9), (13, 7), (15, 9)) == 2


def test_a_share_of_no_known_item_is_not_a_different_item() -> None:
    assert _several((1, None), (2, None)) == 0
    assert _several((1, None), (2, 7)) == 0


def test_only_complete_weeks_count_for_several_items_through_the_workspace_path() -> None:
    day = 24 * HOUR
    monday = int(MONDAY.timestamp())
    shares = [ShareFact(monday + d * day, None, item) for d, item in ((1, 1), (2, 2), (22, 3))]
    shares.append(ShareFact(monday + 22 * day + HOUR, None, 4))
    raw = _raw_of(1, None, shares)
    (signals,) = summarise_all([raw], now=MONDAY + timedelta(days=23), timing=TIMING)
    assert (signals.weeks_with_share, signals.weeks_with_several) == (1, 1)


def test_rewrite_ratio_is_the_average_over_shares() -> None:
    assert _signals(_facts(rewrite_ratios=(0.0, 0.5, 1.0))).rewrite_ratio == 0.5
    assert _signals(_facts()).rewrite_ratio is None


def test_tips_fade_and_accepting_my_offer_or_passing_it_on_never_counts() -> None:
    asked = _facts(
        (EventType.HELP_ASKED, timedelta(0), None, None, {"share_with_manager": False}),
        (EventType.HELP_ASKED, timedelta(1), None, None, {"share_with_manager": True}),
        (EventType.HELP_ASKED, timedelta(2), None, None, {"offered": True}),
        (EventType.HELP_ASKED, timedelta(3), None, None, {"share_with_content_team": True}),
    )
    soon = _signals(asked, now=MONDAY)
    assert soon.help_asked == 1 and soon.help_recent == pytest.approx(1.0)
    later = _signals(asked, now=MONDAY + timedelta(weeks=4))
    assert later.help_recent == pytest.approx(0.5)
    offered_only = _facts((EventType.HELP_ASKED, timedelta(0), None, None, {"offered": True}))
    assert _signals(offered_only).help_asked == 0


def test_relevance_clicks_per_share_and_topics_chosen_or_inferred() -> None:
    topics = {10: frozenset({1}), 11: frozenset({2}), 12: frozenset({3})}
    shares = (
        (EventType.SHARE_INTENT, timedelta(hours=1), "home", 10),
        (EventType.SHARE_INTENT, timedelta(hours=2), "home", 11),
    )
    chosen = _signals(
        _facts(*shares, chosen_topics=frozenset({1}), content_topics=topics, clicks=6)
    )
    assert chosen.topic_matches == 1 and chosen.topic_match == 0.5
    assert chosen.clicks_per_share == 3.0 and chosen.topics_chosen == 1
    inferred = _signals(
        _facts(
            *shares,
            (EventType.MORE_LIKE_THIS, timedelta(hours=3), None, 11),
            content_topics=topics,
        )
    )
    assert inferred.topic_matches == 1
    unknown = _signals(_facts(*shares, content_topics=topics))
    assert unknown.topic_matches is None and unknown.topic_match is None


def test_counts_of_suggestions_and_feedback() -> None:
    signals = _signals(
        _facts(
            (EventType.CONTENT_SUGGESTED, timedelta(0), None),
            (EventType.NOT_FOR_ME, timedelta(3), None),
            (EventType.MORE_LIKE_THIS, timedelta(4), None),
            (EventType.MORE_LIKE_THIS, timedelta(5), None),
        )
    )
    assert (signals.content_suggested, signals.feedback_given) == (1, 3)


def test_nobody_in_the_programme_has_no_steadiness() -> None:
    signals = _signals(_facts())
    assert signals.weeks_in_programme == 0 and signals.steadiness == 0.0
    assert signals.own_accord == 0.0 and signals.burstiness == 0.0


# Team waves: each share is (hours after Monday 09:00, hours since our latest nudge or None).
def _raw(person_id: int, team: int | None, *shares: tuple[float, float | None]) -> Raw:
    start = int(MONDAY.timestamp())
    facts = [
        ShareFact(start + int(at * HOUR), None if delay is None else int(delay * HOUR))
        for at, delay in shares
    ]
    return _raw_of(person_id, team, facts)


def _raw_of(person_id: int, team: int | None, shares: list[ShareFact]) -> Raw:
    """Someone in the programme since Monday 09:00 with these shares and nothing else."""
    return Raw(
        person_id=person_id,
        status="in",
        invited=True,
        counts={},
        first_in=int(MONDAY.timestamp()),
        first_reminded=None,
        shares=shares,
        help_asks=(),
        rewrite_ratio=None,
        topics_chosen=0,
        topics=None,
        content_topics={},
        clicks=0,
        team=team,
    )


def _team_signals(*raws: Raw) -> dict[int, Signals]:
    found = summarise_all(raws, now=MONDAY + timedelta(weeks=2), timing=TIMING)
    return {signals.person_id: signals for signals in found}


def test_teammates_sharing_just_after_one_another_count_as_pushed_but_the_first_does_not() -> None:
    """A push from outside the bot: three days after my DM, a team shares within hours."""
    found = _team_signals(_raw(1, 7, (72, 72)), _raw(2, 7, (73.5, 73.5)), _raw(3, 7, (74, 74)))
    # Whoever shared first keeps their share as their own; the others follow them.
    assert found[1].own_accord == pytest.approx(own_accord(72 * HOUR, TIMING))
    assert found[1].shares_in_wave == 0 and found[1].later_shares == 1
    assert found[2].own_accord == pytest.approx(own_accord(int(1.5 * HOUR), TIMING))
    assert found[3].own_accord == pytest.approx(own_accord(2 * HOUR, TIMING))
    assert found[3].shares_in_wave == 1 and found[3].later_shares == 0
    assert found[3].shares_soon_after_nudge == 0


def test_no_wave_across_teams_without_a_team_or_with_oneself() -> None:
    found = _team_signals(
        _raw(1, 7, (72, None), (73, None)),
        _raw(2, 8, (73.5, None)),
        _raw(3, None, (74, None)),
        _raw(4, None, (74.5, None)),
    )
    assert all(s.shares_in_wave == 0 and s.own_accord == 1.0 for s in found.values())


def test_a_wave_needs_the_teammates_share_within_hours_and_unexplained_by_my_message() -> None:
    too_far = _team_signals(_raw(1, 7, (72, 72)), _raw(2, 7, (76.5, 76.5)))
    assert too_far[2].shares_in_wave == 0
    # A teammate who shared an hour after my DM was answering it: no push from outside; nor
    # under a day after it (their share counts less than half as their own).
    after_my_dm = _team_signals(_raw(1, 7, (1, 1)), _raw(2, 7, (2, None)))
    assert after_my_dm[2].shares_in_wave == 0 and after_my_dm[2].own_accord == 1.0
    next_day = _team_signals(_raw(1, 7, (23, 23)), _raw(2, 7, (24, None)))
    assert next_day[2].shares_in_wave == 0
    a_day_on = _team_signals(_raw(1, 7, (24, 24)), _raw(2, 7, (25, None)))
    assert a_day_on[2].shares_in_wave == 1
    # At the very same second neither follows the other.
    same_moment = _team_signals(_raw(1, 7, (72, 72)), _raw(2, 7, (72, 72)))
    assert [s.shares_in_wave for s in same_moment.values()] == [0, 0]


def test_a_wave_never_makes_a_share_look_more_prompted_than_my_own_message_did() -> None:
    """Shortly after my DM the DM explains the share; the wave changes nothing then."""
    found = _team_signals(_raw(1, 7, (30, None)), _raw(2, 7, (31, 0.5)))
    assert found[2].own_accord == pytest.approx(own_accord(HOUR // 2, TIMING))
    assert found[2].shares_in_wave == 0 and found[2].shares_soon_after_nudge == 1


def test_waves_are_off_with_a_zero_window() -> None:
    timing = Timing(wave_seconds=0)
    raws = (_raw(1, 7, (72, 72)), _raw(2, 7, (72.5, 72.5)))
    found = summarise_all(raws, now=MONDAY + timedelta(weeks=2), timing=timing)
    assert [s.shares_in_wave for s in found] == [0, 0]
