"""Placing each person in one motivation group, with a confidence and the evidence for it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from domain.programme import ProgrammeStatus
from insights.signals import Signals


class Group(enum.StrEnum):
    """The three motivation groups."""

    NOT_INTERESTED = "not_interested"
    NEEDS_HELP = "needs_help"
    SELF_DRIVEN = "self_driven"


@dataclass(frozen=True)
class Thresholds:
    """Where the groups are split; each is an INSIGHTS_* setting (see README)."""

    # A share within this many hours of a DM with picks (or a reminder) counts as nudged.
    nudge_window_hours: float = 48.0
    # The drive score (0..1) from which a participant counts as self-driven.
    self_driven_score: float = 0.55
    # An average rewrite ratio at or above this counts fully as "own words".
    full_rewrite_ratio: float = 0.3
    # Steadiness (weeks with a share / weeks in) at or above this counts fully as steady.
    full_steadiness: float = 0.5
    # A participant this many weeks in with nothing done at all counts as not interested.
    quiet_weeks: int = 3

    @property
    def nudge_window_seconds(self) -> int:
        """The nudge window in whole seconds."""
        return int(self.nudge_window_hours * 3600)


Evidence = dict[str, Any]


@dataclass(frozen=True)
class Placement:
    """A person's group, how sure we are (0..1), and the facts behind it (message keys)."""

    person_id: int
    group: Group
    confidence: float
    evidence: list[Evidence]


# How much each part of the drive score weighs; the score is their weighted average.
WEIGHTS = {
    "joined_unprompted": 1.0,
    "unprompted_shares": 2.0,
    "own_words": 1.5,
    "steadiness": 1.0,
    "initiative": 1.0,
    "independence": 1.0,
}


def fact(key: str, **params: Any) -> Evidence:
    """One piece of evidence: an `insights.evidence.*` message and its values."""
    return {"key": f"insights.evidence.{key}", "params": params}


def place(signals: Signals, thresholds: Thresholds) -> Placement:
    """The group a person's signals point to."""
    if signals.status != ProgrammeStatus.IN.value:
        return _outside(signals)
    if _quiet(signals):
        return _quiet_placement(signals, thresholds)
    score = drive_score(signals, thresholds)
    cut = thresholds.self_driven_score
    group = Group.SELF_DRIVEN if score >= cut else Group.NEEDS_HELP
    margin = abs(score - cut) / max(cut, 1.0 - cut)
    confidence = 0.5 + 0.5 * min(1.0, margin)
    if signals.shares < 2:
        confidence = min(confidence, 0.6)  # one share is little to go on
    return Placement(signals.person_id, group, round(confidence, 3), evidence_of(signals))


def drive_score(signals: Signals, thresholds: Thresholds) -> float:
    """How much the person acts on their own, 0..1 (README: "drive score")."""
    parts = drive_parts(signals, thresholds)
    total = sum(WEIGHTS.values())
    return sum(WEIGHTS[name] * value for name, value in parts.items()) / total


def drive_parts(signals: Signals, thresholds: Thresholds) -> dict[str, float]:
    """Each part of the drive score, 0..1."""
    ratio = signals.rewrite_ratio or 0.0
    initiative = 1.0 if signals.content_suggested else 0.5 if signals.feedback_given else 0.0
    return {
        "joined_unprompted": float(signals.opted_in and not signals.opted_in_after_reminder),
        "unprompted_shares": signals.unprompted_fraction,
        "own_words": min(1.0, ratio / thresholds.full_rewrite_ratio),
        "steadiness": min(1.0, signals.steadiness / thresholds.full_steadiness),
        "initiative": initiative,
        "independence": 0.0 if signals.help_asked else 1.0,
    }


def _quiet(signals: Signals) -> bool:
    return not (
        signals.shares or signals.help_asked or signals.content_suggested or signals.feedback_given
    )


def _outside(signals: Signals) -> Placement:
    if signals.status == ProgrammeStatus.NO.value:
        return Placement(signals.person_id, Group.NOT_INTERESTED, 0.95, [fact("said_no")])
    confidence = 0.8 if signals.reminders else 0.6
    evidence = [fact("not_joined", reminders=signals.reminders)]
    return Placement(signals.person_id, Group.NOT_INTERESTED, confidence, evidence)


def _quiet_placement(signals: Signals, thresholds: Thresholds) -> Placement:
    weeks = signals.weeks_in_programme
    evidence = [fact("quiet", count=weeks), *_joined(signals)]
    if weeks < thresholds.quiet_weeks:
        # Too early to say: someone who just joined is taken as willing.
        return Placement(signals.person_id, Group.NEEDS_HELP, 0.3, evidence)
    confidence = min(0.95, 0.5 + 0.1 * (weeks - thresholds.quiet_weeks + 1))
    return Placement(signals.person_id, Group.NOT_INTERESTED, round(confidence, 3), evidence)


def _joined(signals: Signals) -> list[Evidence]:
    if not signals.opted_in:
        return []
    return [fact("joined_after_reminder" if signals.opted_in_after_reminder else "joined_alone")]


def evidence_of(signals: Signals) -> list[Evidence]:
    """The facts a participant's group rests on, in the order a person would read them."""
    found = _joined(signals)
    if signals.shares:
        # `count` is the number a plural message agrees with (messages/: plural forms).
        key = "unprompted" if signals.unprompted_shares else "unprompted.nudged"
        found.append(fact(key, unprompted=signals.unprompted_shares, count=signals.shares))
        found.append(
            fact("steady", weeks=signals.weeks_with_share, count=signals.weeks_in_programme)
        )
    if signals.rewrite_ratio is not None:
        found.append(fact("own_words", percent=round(signals.rewrite_ratio * 100)))
    if signals.content_suggested:
        found.append(fact("suggested", count=signals.content_suggested))
    if signals.feedback_given:
        found.append(fact("feedback", count=signals.feedback_given))
    if signals.help_asked:
        found.append(fact("help", count=signals.help_asked))
    return found
