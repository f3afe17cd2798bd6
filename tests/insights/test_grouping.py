"""The group boundaries: who counts as not interested, needing help, or self-driven."""

from __future__ import annotations

import dataclasses

import pytest

from insights.grouping import Group, Thresholds, drive_score, place
from insights.signals import Signals
from messages import translate

T = Thresholds()
SELF_DRIVEN = Signals(
    person_id=1,
    status="in",
    invited=True,
    opted_in=True,
    shares=8,
    unprompted_shares=7,
    rewrite_ratio=0.6,
    weeks_in_programme=8,
    weeks_with_share=6,
    busiest_week_shares=2,
    content_suggested=1,
    feedback_given=2,
)
NEEDS_HELP = Signals(
    person_id=2,
    status="in",
    invited=True,
    opted_in=True,
    opted_in_after_reminder=True,
    reminders=1,
    shares=5,
    unprompted_shares=0,
    rewrite_ratio=0.02,
    weeks_in_programme=8,
    weeks_with_share=4,
    busiest_week_shares=2,
    help_asked=1,
)


def test_a_typical_self_driven_and_needs_help_person() -> None:
    assert place(SELF_DRIVEN, T).group is Group.SELF_DRIVEN
    assert place(NEEDS_HELP, T).group is Group.NEEDS_HELP


@pytest.mark.parametrize("status", ["no", "later", "not_asked"])
def test_anyone_outside_the_programme_is_not_interested(status: str) -> None:
    placement = place(dataclasses.replace(SELF_DRIVEN, status=status), T)
    assert placement.group is Group.NOT_INTERESTED
    assert placement.confidence == (0.95 if status == "no" else 0.6)


def test_a_quiet_participant_is_willing_at_first_then_not_interested() -> None:
    quiet = Signals(person_id=3, status="in", opted_in=True, weeks_in_programme=T.quiet_weeks - 1)
    assert place(quiet, T).group is Group.NEEDS_HELP
    later = dataclasses.replace(quiet, weeks_in_programme=T.quiet_weeks)
    assert place(later, T).group is Group.NOT_INTERESTED
    asked = dataclasses.replace(later, help_asked=1)
    assert place(asked, T).group is Group.NEEDS_HELP


def test_the_self_driven_boundary_is_the_score_threshold() -> None:
    score = drive_score(SELF_DRIVEN, T)
    at = dataclasses.replace(T, self_driven_score=score)
    above = dataclasses.replace(T, self_driven_score=min(0.99, score + 0.01))
    assert place(SELF_DRIVEN, at).group is Group.SELF_DRIVEN
    assert place(SELF_DRIVEN, above).group is Group.NEEDS_HELP


def test_no_single_signal_makes_someone_self_driven() -> None:
    # Rewriting every caption is not enough when everything else says "nudged".
    rewriter = dataclasses.replace(NEEDS_HELP, rewrite_ratio=0.9)
    assert place(rewriter, T).group is Group.NEEDS_HELP
    # Nor is one unprompted share from someone who joined after a reminder and asks for help.
    one_free = dataclasses.replace(NEEDS_HELP, unprompted_shares=1)
    assert place(one_free, T).group is Group.NEEDS_HELP


def test_confidence_grows_with_distance_from_the_boundary_and_stays_in_range() -> None:
    sure, unsure = place(SELF_DRIVEN, T), place(NEEDS_HELP, T)
    assert 0.5 <= unsure.confidence <= 1.0 and 0.5 <= sure.confidence <= 1.0
    weaker = dataclasses.replace(SELF_DRIVEN, content_suggested=0, feedback_given=0)
    assert place(weaker, T).confidence < sure.confidence


def test_a_single_share_caps_the_confidence() -> None:
    one = dataclasses.replace(
        SELF_DRIVEN, shares=1, unprompted_shares=1, weeks_with_share=1, busiest_week_shares=1
    )
    assert place(one, T).confidence <= 0.6


def test_the_evidence_names_the_facts_with_their_values() -> None:
    evidence = place(SELF_DRIVEN, T).evidence
    keys = [item["key"] for item in evidence]
    assert keys == [
        "insights.evidence.joined_alone",
        "insights.evidence.unprompted",
        "insights.evidence.steady",
        "insights.evidence.own_words",
        "insights.evidence.suggested",
        "insights.evidence.feedback",
    ]
    assert evidence[1]["params"] == {"unprompted": 7, "count": 8}
    assert evidence[3]["params"] == {"percent": 60}


def test_thresholds_move_the_nudge_window() -> None:
    assert Thresholds(nudge_window_hours=2).nudge_window_seconds == 7200


def test_every_piece_of_evidence_has_a_message_in_both_languages() -> None:
    quiet = Signals(person_id=3, status="in", opted_in=True, weeks_in_programme=9)
    people = [
        SELF_DRIVEN,
        NEEDS_HELP,
        quiet,
        dataclasses.replace(quiet, status="no"),
        dataclasses.replace(quiet, status="later"),
        dataclasses.replace(SELF_DRIVEN, unprompted_shares=0),
    ]
    evidence = [item for person in people for item in place(person, T).evidence]
    for locale in ("en", "nl"):
        for item in evidence:
            assert translate(item["key"], locale, **item["params"])
    assert len({item["key"] for item in evidence}) == 12
