"""How well the groups recover the hidden types: precision, recall, macro-F1 and a baseline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

GROUPS = ("not_interested", "needs_help", "self_driven")


@dataclass(frozen=True)
class GroupScore:
    """Precision, recall and F1 of one group, with its true size."""

    precision: float
    recall: float
    f1: float
    support: int


def score(truth: Mapping[int, str], predicted: Mapping[int, str]) -> dict[str, GroupScore]:
    """Per-group scores of `predicted` against `truth` (both keyed by person)."""
    scores = {}
    for group in GROUPS:
        hits = sum(1 for p, g in truth.items() if g == group and predicted.get(p) == group)
        guessed = sum(1 for p in truth if predicted.get(p) == group)
        actual = sum(1 for g in truth.values() if g == group)
        precision = hits / guessed if guessed else 0.0
        recall = hits / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[group] = GroupScore(precision, recall, f1, actual)
    return scores


def macro_f1(scores: Mapping[str, GroupScore]) -> float:
    """The unweighted mean of the groups' F1."""
    return sum(s.f1 for s in scores.values()) / len(scores)


def baseline(share_counts: Mapping[int, int], people: Sequence[int]) -> dict[int, str]:
    """Rank by share count: top third self-driven, middle third needs help, rest not interested.

    Ties keep the people's order, so the baseline is deterministic too.
    """
    ranked = sorted(people, key=lambda p: -share_counts.get(p, 0))
    third = len(ranked) / 3
    return {
        person: "self_driven"
        if rank < third
        else "needs_help"
        if rank < 2 * third
        else "not_interested"
        for rank, person in enumerate(ranked)
    }
