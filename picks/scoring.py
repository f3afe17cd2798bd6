"""How well one candidate suits one person: its score and the reason that weighs most."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from picks.model import Candidate, PersonProfile, PickReason, ReasonKind

# Relevance to the person's own followers matters most, so one chosen topic outweighs the best
# freshness and priority together (1.0 > 0.3 + 0.45); learned signals weigh less than choices.
CHOSEN_WEIGHT = 1.0
INFERRED_WEIGHT = 0.6
MORE_LIKE_THIS_WEIGHT = 0.5
# Further matches add a little, so a broad item cannot beat a precise one on count alone.
BREADTH_WEIGHT = 0.25
MAX_BREADTH = 1.0
NOT_FOR_ME_WEIGHT = 0.6
FRESHNESS_WEIGHT = 0.3
FRESHNESS_HALF_LIFE = timedelta(days=7)
PRIORITY_STEP = 0.15
MAX_PRIORITY = 3
# Small enough to reorder only near-ties, so different seeds vary what people see.
JITTER = 0.02
# Below this, nothing in particular speaks for the item: it is offered to discover.
DISCOVER_BELOW = 0.05

_KIND_ORDER = {kind: index for index, kind in enumerate(ReasonKind)}


@dataclass(frozen=True)
class Contribution:
    """One part of a score and the reason it stands for."""

    value: float
    reason: PickReason


@dataclass(frozen=True)
class Scored:
    """A candidate with its score and the reason to show for it."""

    candidate: Candidate
    score: float
    reason: PickReason


@dataclass(frozen=True, kw_only=True)
class RankingContext:
    """What scoring needs besides the candidate; `topic_counts` counts candidates per topic."""

    person: PersonProfile
    feedback: Mapping[str, float]
    now: datetime
    seed: str
    topic_counts: Mapping[str, int]


def _finite(value: float) -> float:
    # Learned numbers come from elsewhere; a NaN must not poison every comparison.
    return value if math.isfinite(value) else 0.0


def _saturate(count: float) -> float:
    # Each further vote counts less: 1 → 0.5, 2 → 0.67, 3 → 0.75, never above 1.
    return count / (count + 1.0) if count > 0 else 0.0


def effective_feedback(
    *, person: PersonProfile, candidates: Iterable[Candidate]
) -> Mapping[str, float]:
    """The person's net feedback per topic, derived from rated candidates when not given."""
    if person.feedback_topics:
        return person.feedback_topics
    derived: dict[str, float] = {}
    for candidate in candidates:
        sign = (candidate.content_id in person.more_like_this_content_ids) - (
            candidate.content_id in person.not_for_me_content_ids
        )
        for topic in candidate.topics if sign else ():
            derived[topic] = derived.get(topic, 0.0) + sign
    return derived


def topic_contributions(topic: str, *, context: RankingContext) -> list[Contribution]:
    """What one of the candidate's topics adds for the person, per source of interest."""
    person = context.person
    found: list[Contribution] = []
    if topic in person.chosen_topics:
        found.append(Contribution(CHOSEN_WEIGHT, PickReason(ReasonKind.CHOSEN_TOPIC, topic)))
    weight = min(max(_finite(person.inferred_topics.get(topic, 0.0)), 0.0), 1.0)
    if weight > 0:
        reason = PickReason(ReasonKind.INFERRED_TOPIC, topic)
        found.append(Contribution(INFERRED_WEIGHT * weight, reason))
    liked = _saturate(_finite(context.feedback.get(topic, 0.0)))
    if liked > 0:
        reason = PickReason(ReasonKind.MORE_LIKE_THIS, topic)
        found.append(Contribution(MORE_LIKE_THIS_WEIGHT * liked, reason))
    return found


def topic_fit(contributions: Sequence[Contribution]) -> float:
    """The best topic contribution in full, plus a capped share of the others."""
    values = sorted((item.value for item in contributions), reverse=True)
    if not values:
        return 0.0
    return values[0] + BREADTH_WEIGHT * min(sum(values[1:]), MAX_BREADTH)


def dislike(candidate: Candidate, *, feedback: Mapping[str, float]) -> float:
    """The damping for the candidate's most disliked topic ("not for me" outweighing likes)."""
    worst = min((_finite(feedback.get(topic, 0.0)) for topic in candidate.topics), default=0.0)
    return NOT_FOR_ME_WEIGHT * _saturate(-worst)


def freshness(candidate: Candidate, *, now: datetime) -> float:
    """FRESHNESS_WEIGHT when just published, halving every FRESHNESS_HALF_LIFE."""
    age = max(now - candidate.published_at, timedelta(0))
    return FRESHNESS_WEIGHT * math.pow(0.5, age / FRESHNESS_HALF_LIFE)


def priority_bonus(candidate: Candidate) -> float:
    """PRIORITY_STEP per priority level, the level clamped to 0..MAX_PRIORITY."""
    return PRIORITY_STEP * min(max(candidate.priority, 0), MAX_PRIORITY)


def jitter(*, seed: str, content_id: int) -> float:
    """A tie-breaker in [0, JITTER), fixed by seed and item; a hash keeps it off global state."""
    digest = hashlib.blake2b(f"{seed}:{content_id}".encode(), digest_size=8).digest()
    return JITTER * int.from_bytes(digest, "big") / 2**64


def _reason_rank(item: Contribution, *, topic_counts: Mapping[str, int]) -> tuple[object, ...]:
    # Biggest value first; on equal values the kind order, then the topic fewest candidates
    # carry (it says more about the person), then alphabetical order decide.
    topic = item.reason.topic or ""
    return (-item.value, _KIND_ORDER[item.reason.kind], topic_counts.get(topic, 0), topic)


def best_reason(
    contributions: Sequence[Contribution], *, topic_counts: Mapping[str, int]
) -> PickReason:
    """The reason of the biggest contribution, or DISCOVER when none is worth naming."""
    ranked = sorted(contributions, key=lambda item: _reason_rank(item, topic_counts=topic_counts))
    if not ranked or ranked[0].value < DISCOVER_BELOW:
        return PickReason(ReasonKind.DISCOVER)
    return ranked[0].reason


def score_candidate(candidate: Candidate, *, context: RankingContext) -> Scored:
    """topic fit + freshness + priority bonus - dislike + jitter, with its main reason."""
    topical = [
        found
        for topic in sorted(candidate.topics)
        for found in topic_contributions(topic, context=context)
    ]
    fresh = Contribution(freshness(candidate, now=context.now), PickReason(ReasonKind.FRESH))
    bonus = Contribution(priority_bonus(candidate), PickReason(ReasonKind.PRIORITY))
    score = (
        topic_fit(topical)
        + fresh.value
        + bonus.value
        - dislike(candidate, feedback=context.feedback)
        + jitter(seed=context.seed, content_id=candidate.content_id)
    )
    reason = best_reason([*topical, fresh, bonus], topic_counts=context.topic_counts)
    return Scored(candidate, score, reason)
