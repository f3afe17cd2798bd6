"""A workspace's query results as plain tuples, and what the CPU worker makes of them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from insights.grouping import Group, Mark, Thresholds, group_workspace
from insights.signals import Raw, ShareFact, person_topics

# (person id, status, invited)
PersonRow = tuple[int, str, bool]
# (person id, at, latest nudge before it or None, item or None), moments in epoch seconds
ShareRow = tuple[int, int, int | None, int | None]
# (person id, group, confidence, evidence, sure, headline): one stored group, ready to insert
PlacementRow = tuple[int, str, float, list[dict[str, Any]], bool, str]


@dataclass(frozen=True)
class WorkspaceRows:
    """Every query's rows for one workspace, as fetched: only ints, strings and floats, so
    handing them to the CPU worker is cheap to pickle (no object per share)."""

    people: list[PersonRow] = field(default_factory=list)
    # The names of the figures in each `counts` row after the person id, then first_in and
    # first_reminded (epoch seconds or None).
    count_names: tuple[str, ...] = ()
    counts: list[tuple[Any, ...]] = field(default_factory=list)
    shares: list[ShareRow] = field(default_factory=list)
    # (person id, when) of the requests for tips made on one's own
    help_asks: list[tuple[int, int]] = field(default_factory=list)
    rewrites: list[tuple[int, float]] = field(default_factory=list)
    chosen: list[tuple[int, int]] = field(default_factory=list)
    liked: list[tuple[int, int]] = field(default_factory=list)
    content_topics: list[tuple[int, int]] = field(default_factory=list)
    clicks: list[tuple[int, int]] = field(default_factory=list)


class Placed(NamedTuple):
    """Who went to which group, and whether sure enough to say (what a regrouping's callers
    need of it)."""

    person_id: int
    group: Group
    sure: bool


@dataclass
class _Person:
    """Accumulates one person's raw figures from the separate queries."""

    status: str
    invited: bool
    counts: dict[str, int] = field(default_factory=dict)
    first_in: int | None = None
    first_reminded: int | None = None
    shares: list[ShareFact] = field(default_factory=list)
    help_asks: list[int] = field(default_factory=list)
    rewrite_ratio: float | None = None
    chosen: set[int] = field(default_factory=set)
    liked: list[int] = field(default_factory=list)
    clicks: int = 0


def raws_of(rows: WorkspaceRows) -> list[Raw]:
    """Everyone's raw figures from the workspace's rows, in person id order."""
    people = {pid: _Person(status, bool(invited)) for pid, status, invited in rows.people}
    names = rows.count_names
    for person_id, *figures in rows.counts:
        person = people.get(person_id)
        if person is not None:
            person.counts = dict(zip(names, figures[: len(names)], strict=True))
            person.first_in, person.first_reminded = figures[-2], figures[-1]
    for person_id, at, nudged_at, content_id in rows.shares:
        if (person := people.get(person_id)) is not None:
            delay = None if nudged_at is None else int(at) - int(nudged_at)
            person.shares.append(ShareFact(int(at), delay, content_id))
    for person_id, at in rows.help_asks:
        if (person := people.get(person_id)) is not None:
            person.help_asks.append(int(at))
    for person_id, ratio in rows.rewrites:
        if (person := people.get(person_id)) is not None:
            person.rewrite_ratio = float(ratio)
    for person_id, topic_id in rows.chosen:
        if (person := people.get(person_id)) is not None:
            person.chosen.add(topic_id)
    for person_id, content_id in rows.liked:
        if (person := people.get(person_id)) is not None:
            person.liked.append(content_id)
    for person_id, count in rows.clicks:
        if (person := people.get(person_id)) is not None:
            person.clicks = count
    topics = _content_topics(rows.content_topics)
    return [_raw(pid, person, topics) for pid, person in sorted(people.items())]


def _content_topics(pairs: Sequence[tuple[int, int]]) -> dict[int, frozenset[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for content_id, topic_id in pairs:
        found[content_id].add(topic_id)
    return {key: frozenset(value) for key, value in found.items()}


def _raw(person_id: int, person: _Person, content_topics: dict[int, frozenset[int]]) -> Raw:
    return Raw(
        person_id=person_id,
        status=person.status,
        invited=person.invited,
        counts=person.counts,
        first_in=person.first_in,
        first_reminded=person.first_reminded,
        shares=sorted(person.shares, key=lambda s: s.at),
        help_asks=sorted(person.help_asks),
        rewrite_ratio=person.rewrite_ratio,
        topics_chosen=len(person.chosen),
        topics=person_topics(frozenset(person.chosen), person.liked, content_topics),
        content_topics=content_topics,
        clicks=person.clicks,
    )


def regroup_rows(
    rows: WorkspaceRows,
    *,
    now: datetime,
    thresholds: Thresholds,
    marks: Mapping[int, Mark] | None = None,
) -> list[PlacementRow]:
    """A whole workspace's groups from its query rows, as rows ready to store: the CPU-bound
    part of a regrouping, run in the CPU worker (module-level, so it pickles by name)."""
    placements = group_workspace(raws_of(rows), now=now, thresholds=thresholds, marks=marks)
    return [
        (p.person_id, p.group.value, p.confidence, p.evidence, p.sure, p.headline)
        for p in placements
    ]
