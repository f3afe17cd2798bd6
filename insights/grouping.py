"""Placing each person in one motivation group, calibrated per workspace, with the evidence."""

from __future__ import annotations

import bisect
import enum
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from domain.programme import ProgrammeStatus
from insights.signals import DAY_SECONDS, WEEK_SECONDS, Raw, Signals, Timing, summarise_all


class Group(enum.StrEnum):
    """The three motivation groups."""

    NOT_INTERESTED = "not_interested"
    NEEDS_HELP = "needs_help"
    SELF_DRIVEN = "self_driven"


class Mark(enum.StrEnum):
    """How the content team knows someone (anchors the calibration; never shown to managers)."""

    AMBASSADOR = "ambassador"
    WOULD_LIKE_HELP = "would_like_help"


@dataclass(frozen=True)
class Thresholds:
    """Where the groups are split; the first five and wave_hours are INSIGHTS_* settings."""

    # "Soon after my message" in the evidence a person reads (the score has no cut).
    nudge_window_hours: float = 48.0
    # The drive score split used while a workspace has too few participants to calibrate.
    self_driven_score: float = 0.55
    # An average rewrite ratio at or above this counts fully as "own words".
    full_rewrite_ratio: float = 0.3
    # Steadiness (complete weeks with a share / complete weeks in) that counts fully as steady.
    full_steadiness: float = 0.5
    # A participant this many complete weeks in with nothing done counts as not interested.
    quiet_weeks: int = 3
    # A share this long after the latest nudge counts half as made on one's own.
    nudge_half_life_hours: float = 24.0
    # A request for tips weighs half as much after this many weeks.
    help_half_life_weeks: float = 4.0
    # A share this soon after a teammate's unprompted share joins their wave (an unlogged push).
    wave_hours: float = 4.0
    # A placement less sure than this is shown as "not sure yet".
    sure_from: float = 0.65
    # Active participants needed before the split is calibrated on the workspace itself.
    calibrate_from: int = 12

    @property
    def nudge_window_seconds(self) -> int:
        """The evidence's "soon after my message" window in whole seconds."""
        return int(self.nudge_window_hours * 3600)

    @property
    def timing(self) -> Timing:
        """How time turns into signals."""
        return Timing(
            window_seconds=self.nudge_window_seconds,
            half_life_seconds=int(self.nudge_half_life_hours * 3600),
            help_half_life_seconds=int(self.help_half_life_weeks * WEEK_SECONDS),
            wave_seconds=int(self.wave_hours * 3600),
        )


Evidence = dict[str, Any]


@dataclass(frozen=True)
class Placement:
    """A person's group, how sure we are (0..1), whether sure enough to say, and the facts."""

    person_id: int
    group: Group
    confidence: float
    evidence: list[Evidence]
    sure: bool = True
    headline: str = ""


# How much each part of the drive score weighs; the score is their weighted average.
# Own words weighs little: rewriting shows diligence more than motivation.
WEIGHTS = {
    "own_accord": 3.0,
    "joined_unprompted": 1.5,
    "steadiness": 1.0,
    "initiative": 3.0,
    "independence": 2.0,
    "on_topic": 1.5,
    "clicks": 1.0,
    "own_words": 0.5,
    "several": 2.0,
}
# Habits whose meaning depends on the organisation: rewriting and clicks show drive in one and
# diligence in another, and so may topics and steadiness. In a calibrated workspace each counts
# only as far as it goes along with the core parts (the other four) there.
HABITS = ("on_topic", "steadiness", "clicks", "own_words", "several")
# A habit whose correlation with the core parts reaches this counts with its full weight.
FULL_AGREEMENT = 0.2
# Clicks per share that count fully as "relevant to one's followers".
FULL_CLICKS_PER_SHARE = 2.0
# The share of complete weeks with two or more different items shared that counts fully as the
# habit of sharing several things a week (one who goes looking finds more than the one we sent):
# one such week in eight. Chosen on the tuning seeds 1-4 from 0.125 to 0.75 (docs/insights.md).
FULL_SEVERAL = 0.125
# The cuts calibration chooses from.
CUTS = tuple(round(0.25 + step * 0.005, 3) for step in range(111))
# The spread assumed before a workspace is calibrated.
DEFAULT_SPREAD = 0.12
# The split sits in the sparsest stretch between the two sides: scores are smoothed with a
# Gaussian kernel this wide, and the stretch leaves out this fraction of the way at either end.
VALLEY_BANDWIDTH = 0.05
VALLEY_MARGIN = 0.4
# Before this many complete weeks, a single act is too little to go on; after, one act in all
# those weeks itself says the person does not (yet) share on their own.
SINGLE_ACT_WEEKS = 4


@dataclass(frozen=True)
class Calibration:
    """A workspace's split of the drive score, the spread around it and the parts' weights."""

    threshold: float
    spread: float
    calibrated: bool = False
    anchors: int = 0
    weights: Mapping[str, float] = field(default_factory=lambda: dict(WEIGHTS))


def fact(key: str, side: str = "", **params: Any) -> Evidence:
    """One piece of evidence: an `insights.evidence.*` message, its values and which way it
    points ("for" sharing on one's own, "against", or "" for neither)."""
    found: Evidence = {"key": f"insights.evidence.{key}", "params": params}
    if side:
        found["side"] = side
    return found


def drive_parts(signals: Signals, thresholds: Thresholds) -> dict[str, float]:
    """Each part of the drive score, 0..1."""
    ratio = signals.rewrite_ratio or 0.0
    initiative = min(1.0, signals.content_suggested * 0.7 + signals.feedback_given * 0.25)
    match = signals.topic_match
    return {
        "own_accord": signals.own_accord,
        "joined_unprompted": float(signals.opted_in and not signals.opted_in_after_reminder),
        "steadiness": min(1.0, signals.steadiness / thresholds.full_steadiness),
        "initiative": initiative,
        "independence": max(0.0, 1.0 - signals.help_recent),
        # Unknown topics say nothing either way.
        "on_topic": 0.5 if match is None else match,
        "clicks": min(1.0, signals.clicks_per_share / FULL_CLICKS_PER_SHARE),
        "own_words": min(1.0, ratio / thresholds.full_rewrite_ratio),
        "several": several_part(signals),
    }


def several_part(signals: Signals) -> float:
    """Complete weeks with several different items shared, as a share of the complete weeks in
    the programme, over FULL_SEVERAL, at most 1 (0 before the first complete week)."""
    if not signals.weeks_in_programme:
        return 0.0
    return min(1.0, signals.weeks_with_several / signals.weeks_in_programme / FULL_SEVERAL)


def drive_score(
    signals: Signals, thresholds: Thresholds, weights: Mapping[str, float] = WEIGHTS
) -> float:
    """How much the person acts on their own, 0..1 (docs/insights.md: "drive score")."""
    return _weighted(drive_parts(signals, thresholds), weights)


def _weighted(parts: Mapping[str, float], weights: Mapping[str, float]) -> float:
    return sum(weights[name] * value for name, value in parts.items()) / sum(weights.values())


def workspace_weights(parts: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """The weights for one workspace: each habit (HABITS) at its full weight where it goes along
    with the core parts there (correlation at least FULL_AGREEMENT), less where it goes along
    less, and not at all where it goes the other way."""
    core = {name: weight for name, weight in WEIGHTS.items() if name not in HABITS}
    cores = [_weighted({name: p[name] for name in core}, core) for p in parts]
    weights = dict(WEIGHTS)
    for habit in HABITS:
        agreement = _correlation([p[habit] for p in parts], cores)
        weights[habit] = WEIGHTS[habit] * min(1.0, max(0.0, agreement / FULL_AGREEMENT))
    return weights


def _correlation(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson's correlation; 0 when either side does not vary."""
    count = len(xs)
    if count < 2:
        return 0.0
    mean_x, mean_y = sum(xs) / count, sum(ys) / count
    var_x = sum((x - mean_x) ** 2 for x in xs)
    var_y = sum((y - mean_y) ** 2 for y in ys)
    if var_x <= 1e-12 or var_y <= 1e-12:
        return 0.0
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return covariance / math.sqrt(var_x * var_y)


def is_active(signals: Signals) -> bool:
    """In the programme and has done something: the people the drive score splits."""
    return signals.status == ProgrammeStatus.IN.value and not _quiet(signals)


def calibrate(
    scores: Sequence[float], thresholds: Thresholds, anchors: Sequence[tuple[float, Mark]] = ()
) -> Calibration:
    """The workspace's own split of its active participants' drive scores: the sparsest stretch
    between the two sides Otsu's threshold finds (it would cut into the larger side when the
    sides differ in size), moved as little as needed to put the people the content team marked
    on their side."""
    if len(scores) < thresholds.calibrate_from:
        return Calibration(thresholds.self_driven_score, DEFAULT_SPREAD, anchors=len(anchors))
    ordered = sorted(scores)
    sums = list(itertools.accumulate(ordered, initial=0.0))
    squares = list(itertools.accumulate((s * s for s in ordered), initial=0.0))
    total = len(ordered)

    def between(cut: float) -> float:
        low = bisect.bisect_left(ordered, cut)
        if low in (0, total):
            return 0.0
        mean_low, mean_high = sums[low] / low, (sums[total] - sums[low]) / (total - low)
        return low * (total - low) * (mean_high - mean_low) ** 2

    otsu = max(CUTS, key=between)
    best = _valley(ordered, otsu)
    if anchors:
        found = best
        best = min(CUTS, key=lambda cut: (_anchor_errors(anchors, cut), abs(cut - found)))
    low = bisect.bisect_left(ordered, best)
    # The pooled spread within the two sides: how far from the split "far" is here.
    within = squares[total] - sums[low] ** 2 / max(1, low)
    within -= (sums[total] - sums[low]) ** 2 / max(1, total - low)
    spread = math.sqrt(max(0.0, within) / total)
    return Calibration(round(best, 4), max(0.03, spread), calibrated=True, anchors=len(anchors))


def _valley(ordered: Sequence[float], otsu: float) -> float:
    """The cut with the fewest scores around it (kernel density) between the means of the two
    sides of Otsu's cut, leaving out VALLEY_MARGIN of the way at either end; nearest to Otsu's
    cut on a tie."""
    low = bisect.bisect_left(ordered, otsu)
    if low in (0, len(ordered)):
        return otsu
    mean_low = sum(ordered[:low]) / low
    mean_high = sum(ordered[low:]) / (len(ordered) - low)
    margin = VALLEY_MARGIN * (mean_high - mean_low)
    stretch = [cut for cut in CUTS if mean_low + margin <= cut <= mean_high - margin]

    def density(cut: float) -> float:
        return sum(math.exp(-0.5 * ((s - cut) / VALLEY_BANDWIDTH) ** 2) for s in ordered)

    return min(stretch, key=lambda cut: (density(cut), abs(cut - otsu)), default=otsu)


def _anchor_errors(anchors: Sequence[tuple[float, Mark]], cut: float) -> int:
    return sum(1 for score, mark in anchors if (score >= cut) != (mark is Mark.AMBASSADOR))


def place_all(
    everyone: Sequence[Signals],
    thresholds: Thresholds,
    marks: Mapping[int, Mark] | None = None,
) -> list[Placement]:
    """Everyone's group, with the split calibrated on this workspace (and its marks)."""
    marks = marks or {}
    parts = {s.person_id: drive_parts(s, thresholds) for s in everyone if is_active(s)}
    weights = dict(WEIGHTS)
    if len(parts) >= thresholds.calibrate_from:
        weights = workspace_weights(list(parts.values()))
    scores = {pid: _weighted(found, weights) for pid, found in parts.items()}
    anchors = [(scores[pid], mark) for pid, mark in marks.items() if pid in scores]
    calibration = calibrate(list(scores.values()), thresholds, anchors)
    calibration = replace(calibration, weights=weights)
    return [place(s, thresholds, calibration) for s in everyone]


def group_workspace(
    raws: Sequence[Raw],
    *,
    now: datetime,
    thresholds: Thresholds,
    marks: Mapping[int, Mark] | None = None,
) -> list[Placement]:
    """A whole workspace's groups from its raw figures: the CPU-bound part of a regrouping
    (a module-level function, so it can run in the CPU worker off the event loop)."""
    signals = summarise_all(raws, now=now, timing=thresholds.timing)
    return place_all(signals, thresholds, marks)


def place(
    signals: Signals, thresholds: Thresholds, calibration: Calibration | None = None
) -> Placement:
    """The group a person's signals point to."""
    if signals.status != ProgrammeStatus.IN.value:
        return _outside(signals)
    if _quiet(signals):
        return _quiet_placement(signals, thresholds)
    calibration = calibration or Calibration(thresholds.self_driven_score, DEFAULT_SPREAD)
    score = drive_score(signals, thresholds, calibration.weights)
    cut = calibration.threshold
    group = Group.SELF_DRIVEN if score >= cut else Group.NEEDS_HELP
    # How many spreads from the split, turned into 0.5..1: the calibrated confidence.
    distance = abs(score - cut) / calibration.spread
    confidence = 0.5 + 0.5 * math.tanh(distance)
    if _little_to_go_on(signals, group):
        confidence = min(confidence, 0.6)
    evidence = evidence_of(signals, thresholds)
    sure = confidence >= thresholds.sure_from
    headline = _headline(group, signals, thresholds, sure=sure)
    return Placement(
        signals.person_id, group, round(confidence, 3), evidence, sure=sure, headline=headline
    )


def _headline(group: Group, signals: Signals, thresholds: Thresholds, *, sure: bool) -> str:
    """The first sentence a person reads: it claims only what the evidence supports."""
    if not sure:
        return "insights.own.not_sure"
    if group is Group.NEEDS_HELP:
        return "insights.own.needs_help"
    if signals.later_shares * 2 > signals.shares:
        return "insights.own.self_driven.later"
    if signals.steadiness >= thresholds.full_steadiness:
        return "insights.own.self_driven.steady"
    return "insights.own.self_driven"


def _little_to_go_on(signals: Signals, group: Group) -> bool:
    """Under two complete weeks; or a single act, unless it is the only one in SINGLE_ACT_WEEKS
    or more complete weeks and the person leans to needing help (the rarity is the evidence)."""
    weeks = signals.weeks_in_programme
    if weeks < 2:
        return True
    if _acts(signals) >= 2:
        return False
    return group is Group.SELF_DRIVEN or weeks < SINGLE_ACT_WEEKS


def _acts(signals: Signals) -> int:
    """Things the person did: shares, requests for tips, feedback, suggestions."""
    return signals.shares + signals.help_asked + signals.feedback_given + signals.content_suggested


def _quiet(signals: Signals) -> bool:
    return not (
        signals.shares or signals.help_asked or signals.content_suggested or signals.feedback_given
    )


def _outside(signals: Signals) -> Placement:
    if signals.status == ProgrammeStatus.NO.value:
        return Placement(
            signals.person_id,
            Group.NOT_INTERESTED,
            0.95,
            [fact("said_no")],
            headline="insights.own.not_interested",
        )
    confidence = 0.8 if signals.reminders else 0.6
    evidence = [fact("not_joined", reminders=signals.reminders)]
    return Placement(
        signals.person_id,
        Group.NOT_INTERESTED,
        confidence,
        evidence,
        headline="insights.own.not_interested",
    )


def _quiet_placement(signals: Signals, thresholds: Thresholds) -> Placement:
    weeks = signals.weeks_in_programme
    evidence = [fact("quiet", count=weeks), *_joined(signals)]
    if weeks < thresholds.quiet_weeks:
        # Too early to say: someone who just joined is taken as willing, and told so.
        return Placement(
            signals.person_id,
            Group.NEEDS_HELP,
            0.3,
            evidence,
            sure=False,
            headline="insights.own.not_sure",
        )
    confidence = min(0.95, 0.5 + 0.1 * (weeks - thresholds.quiet_weeks + 1))
    return Placement(
        signals.person_id,
        Group.NOT_INTERESTED,
        round(confidence, 3),
        evidence,
        headline="insights.own.not_interested",
    )


def _joined(signals: Signals) -> list[Evidence]:
    if not signals.opted_in:
        return []
    if signals.opted_in_after_reminder:
        return [fact("joined_after_reminder", "against")]
    return [fact("joined_alone", "for")]


def _days(seconds: int) -> int:
    return max(1, round(seconds / DAY_SECONDS))


def evidence_of(signals: Signals, thresholds: Thresholds) -> list[Evidence]:
    """The facts a participant's group rests on, each saying which way it points."""
    found = _joined(signals)
    days = _days(thresholds.nudge_window_seconds)
    if signals.shares:
        if signals.later_shares:
            found.append(
                fact("later", "for", later=signals.later_shares, shares=signals.shares, days=days)
            )
        if signals.shares_soon_after_nudge:
            found.append(
                fact(
                    "soon",
                    "against",
                    soon=signals.shares_soon_after_nudge,
                    shares=signals.shares,
                    days=days,
                )
            )
        if signals.shares_in_wave:
            found.append(
                fact(
                    "wave",
                    "against",
                    wave=signals.shares_in_wave,
                    shares=signals.shares,
                    hours=round(thresholds.wave_hours),
                )
            )
    if signals.weeks_in_programme:
        steady = signals.steadiness >= thresholds.full_steadiness
        found.append(
            fact(
                "steady",
                "for" if steady else "against",
                weeks=signals.weeks_with_share,
                count=signals.weeks_in_programme,
            )
        )
    if signals.weeks_in_programme and signals.shares:
        part = several_part(signals)
        found.append(
            fact(
                "several",
                "for" if part >= 1.0 else "against" if not part else "",
                weeks=signals.weeks_with_several,
                count=signals.weeks_in_programme,
            )
        )
    match = signals.topic_match
    if match is not None and signals.topic_matches is not None:
        found.append(
            fact(
                "on_topic",
                "for" if match >= 0.5 else "against",
                matches=signals.topic_matches,
                shares=signals.shares,
            )
        )
    if signals.shares and signals.clicks:
        per_share = signals.clicks_per_share
        found.append(
            fact(
                "clicks",
                "for" if per_share >= 1 else "",
                clicks=signals.clicks,
                per_share=f"{per_share:.1f}",
            )
        )
    if signals.rewrite_ratio is not None:
        own = signals.rewrite_ratio >= thresholds.full_rewrite_ratio
        found.append(
            fact("own_words", "for" if own else "", percent=round(signals.rewrite_ratio * 100))
        )
    if signals.content_suggested:
        found.append(fact("suggested", "for", count=signals.content_suggested))
    if signals.feedback_given:
        found.append(fact("feedback", "for", count=signals.feedback_given))
    if signals.help_recent >= 0.25:
        found.append(fact("help_recent", "against", count=signals.help_asked))
    return found
