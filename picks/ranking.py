"""Choosing a person's weekly picks: filter what may be offered, score it, keep it varied."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from picks.model import Candidate, PersonProfile, Pick
from picks.scoring import RankingContext, Scored, effective_feedback, score_candidate

# What an item loses per already picked item sharing its topic: enough for a comparable item on
# another topic to win the next slot, since repetition costs the person credibility.
VARIETY_PENALTY = 0.35


def in_window(candidate: Candidate, *, now: datetime) -> bool:
    """Whether `now` lies in the item's publish window [published_at, expires_at)."""
    started = candidate.published_at <= now
    return started and (candidate.expires_at is None or now < candidate.expires_at)


def suits_networks(candidate: Candidate, *, person: PersonProfile) -> bool:
    """False only when both network sets are known and have nothing in common."""
    if not candidate.networks or not person.networks:
        return True
    return not candidate.networks.isdisjoint(person.networks)


def is_eligible(candidate: Candidate, *, person: PersonProfile, now: datetime) -> bool:
    """Whether the item may be offered to the person at `now` at all."""
    if candidate.content_id in person.excluded_content_ids:
        return False
    if candidate.content_id in person.not_for_me_content_ids:
        return False
    return in_window(candidate, now=now) and suits_networks(candidate, person=person)


def eligible_candidates(
    *, person: PersonProfile, candidates: Iterable[Candidate], now: datetime
) -> list[Candidate]:
    """The offerable candidates, each content id once (its first occurrence)."""
    unique: dict[int, Candidate] = {}
    for candidate in candidates:
        unique.setdefault(candidate.content_id, candidate)
    return [c for c in unique.values() if is_eligible(c, person=person, now=now)]


def overlap(candidate: Candidate, *, picked: Scored) -> float:
    """1 when the candidate carries the picked item's main topic, else their topics' Jaccard."""
    if picked.reason.topic in candidate.topics:
        return 1.0
    union = candidate.topics | picked.candidate.topics
    return len(candidate.topics & picked.candidate.topics) / len(union) if union else 0.0


def select_varied(scored: Sequence[Scored], *, limit: int) -> list[Scored]:
    """Greedy MMR-style selection: best score minus VARIETY_PENALTY per similar earlier pick.

    Penalties are updated once per pick, so this is O(len(scored) × limit).
    """
    penalties = {item.candidate.content_id: 0.0 for item in scored}
    remaining = {item.candidate.content_id: item for item in scored}
    chosen: list[Scored] = []
    while remaining and len(chosen) < limit:
        # Lower content id wins exact ties, so the outcome never depends on input order.
        best = max(
            remaining.values(),
            key=lambda item: (
                item.score - penalties[item.candidate.content_id],
                -item.candidate.content_id,
            ),
        )
        chosen.append(remaining.pop(best.candidate.content_id))
        for content_id, item in remaining.items():
            penalties[content_id] += VARIETY_PENALTY * overlap(item.candidate, picked=best)
    return chosen


def _check_arguments(*, now: datetime, limit: int) -> None:
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def choose_picks(
    *,
    person: PersonProfile,
    candidates: Sequence[Candidate],
    now: datetime,
    limit: int = 3,
    seed: str,
) -> list[Pick]:
    """Up to `limit` distinct picks for the person at `now`, best first.

    Never offers excluded, "not for me", out-of-window or unsuitable-network items. The same
    inputs and seed always give the same picks; another seed may reorder near-ties.
    Raises ValueError when `limit` is negative or `now` is naive.
    """
    _check_arguments(now=now, limit=limit)
    eligible = eligible_candidates(person=person, candidates=candidates, now=now)
    context = RankingContext(
        person=person,
        feedback=effective_feedback(person=person, candidates=candidates),
        now=now,
        seed=seed,
        topic_counts=Counter(topic for candidate in eligible for topic in candidate.topics),
    )
    scored = [score_candidate(candidate, context=context) for candidate in eligible]
    return [
        Pick(item.candidate.content_id, item.score, item.reason)
        for item in select_varied(scored, limit=limit)
    ]
