"""Builders shared by the picks tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from domain.networks import Network
from picks import Candidate

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def item(
    content_id: int,
    *topics: str,
    age_days: float = 0.0,
    priority: int = 0,
    networks: Iterable[Network] = (),
    expires_at: datetime | None = None,
) -> Candidate:
    """A candidate published `age_days` before NOW."""
    return Candidate(
        content_id=content_id,
        topics=frozenset(topics),
        networks=frozenset(networks),
        priority=priority,
        published_at=NOW - timedelta(days=age_days),
        expires_at=expires_at,
    )
