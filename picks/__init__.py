"""Weekly picks: which content each person is offered, and why."""

from __future__ import annotations

from picks.model import (
    TOPIC_REASONS,
    Candidate,
    PersonProfile,
    Pick,
    PickReason,
    ReasonKind,
    reason_key,
)
from picks.ranking import choose_picks

__all__ = [
    "TOPIC_REASONS",
    "Candidate",
    "PersonProfile",
    "Pick",
    "PickReason",
    "ReasonKind",
    "choose_picks",
    "reason_key",
]
