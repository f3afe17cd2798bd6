"""How well the groups recover the hidden types: precision, recall, macro-F1 and a baseline."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

GROUPS = ("not_interested", "needs_help", "self_driven")
NEEDS_HELP = "needs_help"


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


@dataclass(frozen=True)
class JoinedRecall:
    """One group's recall counted over the people who ever joined the programme.

    `support` people are truly in the group, `joined` of them ever answered the invitation
    "in", and `hits` of those were placed in the group. Someone who never joined left nothing
    that tells them from someone not interested, so `ceiling` is the highest recall over
    everyone that any grouping could reach; `recall` is the grouping's recall among those it
    had anything to go on (whoever stayed outside is placed not interested, docs/insights.md).
    """

    support: int
    joined: int
    hits: int

    @property
    def ceiling(self) -> float:
        """Share of the group's people who ever joined."""
        return self.joined / self.support if self.support else 0.0

    @property
    def recall(self) -> float:
        """Share of the group's people who joined that were placed in the group."""
        return self.hits / self.joined if self.joined else 0.0

    def as_json(self) -> dict[str, float]:
        """The figures, JSON-ready."""
        return {
            "ceiling": round(self.ceiling, 4),
            "recall": round(self.recall, 4),
            "joined": self.joined,
            "hits": self.hits,
            "support": self.support,
        }


def recall_among_joined(
    truth: Mapping[int, str],
    predicted: Mapping[int, str],
    joined: Collection[int],
    group: str = NEEDS_HELP,
) -> JoinedRecall:
    """`group`'s ceiling and recall among the people in `joined` (everyone keyed by person)."""
    members = [person for person, kind in truth.items() if kind == group]
    inside = [person for person in members if person in joined]
    hits = sum(1 for person in inside if predicted.get(person) == group)
    return JoinedRecall(support=len(members), joined=len(inside), hits=hits)


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
