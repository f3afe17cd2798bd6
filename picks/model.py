"""The vocabulary of picks: what is ranked, for whom, and why an item was picked."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.networks import Network


class ReasonKind(enum.StrEnum):
    """Why an item was picked; the declaration order breaks exact ties between reasons."""

    CHOSEN_TOPIC = "chosen_topic"
    INFERRED_TOPIC = "inferred_topic"
    MORE_LIKE_THIS = "more_like_this"
    FRESH = "fresh"
    PRIORITY = "priority"
    DISCOVER = "discover"


# Reasons that name a topic; the message catalog text for them has a {topic} placeholder.
TOPIC_REASONS = frozenset(
    {ReasonKind.CHOSEN_TOPIC, ReasonKind.INFERRED_TOPIC, ReasonKind.MORE_LIKE_THIS}
)


@dataclass(frozen=True)
class PickReason:
    """The one reason shown with a pick; `topic` is set for the topic reasons only."""

    kind: ReasonKind
    topic: str | None = None


def reason_key(reason: PickReason) -> str:
    """The message-catalog key for a reason, e.g. 'pick.reason.chosen_topic'.

    The caller fills the catalog text's `{topic}` placeholder from `reason.topic`.
    """
    return f"pick.reason.{reason.kind.value}"


def _require_aware(name: str, value: datetime | None) -> None:
    # Naive datetimes would make window checks raise TypeError, or silently shift by hours.
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A content item that could be picked.

    `topics` are lowercase slugs without '#'; `networks` are the networks the item suits
    (empty: every network); `priority` runs from 0 (normal) to 3 (top) and is clamped to that
    range when scoring; the item may be picked from `published_at` until before `expires_at`.
    """

    content_id: int
    topics: frozenset[str] = frozenset()
    networks: frozenset[Network] = frozenset()
    priority: int = 0
    published_at: datetime
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware("published_at", self.published_at)
        _require_aware("expires_at", self.expires_at)


@dataclass(frozen=True, kw_only=True)
class PersonProfile:
    """What the ranking knows about one person; every field defaults to 'nothing known'.

    `inferred_topics` maps topics to weights in [0, 1] learned from behaviour.
    `networks` empty means the person's networks are unknown, so no item is filtered by network.
    Items in `excluded_content_ids` (shown or shared) or `not_for_me_content_ids` are never offered.
    `feedback_topics` is the net feedback per topic (+1 per "more like this", -1 per "not for me");
    when it is empty, it is derived from the rated items found among the candidates.
    """

    chosen_topics: frozenset[str] = frozenset()
    inferred_topics: Mapping[str, float] = field(default_factory=dict)
    networks: frozenset[Network] = frozenset()
    excluded_content_ids: frozenset[int] = frozenset()
    not_for_me_content_ids: frozenset[int] = frozenset()
    more_like_this_content_ids: frozenset[int] = frozenset()
    feedback_topics: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Pick:
    """A picked item: its own score (before the variety penalty) and the reason to show."""

    content_id: int
    score: float
    reason: PickReason
