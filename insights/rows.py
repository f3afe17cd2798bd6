"""A workspace's query results as plain tuples, and what the CPU worker makes of them."""

from __future__ import annotations

import json
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from insights.grouping import Group, Mark, Placement, Thresholds, group_workspace
from insights.signals import Raw, ShareFact, person_topics

# Stands for NULL in an integer column (no moment or id is this small).
NULL = -(2**63)


@dataclass(frozen=True)
class WorkspaceRows:
    """Every query's rows for one workspace, as columns of numbers (and a few strings).

    Arrays, not tuples per row: the event loop keeps next to no objects for the garbage
    collector to walk (a full collection over a large workspace's rows stalls the loop), and
    handing them to the CPU worker pickles each column as one block of memory.
    """

    # person id, status, invited
    people: tuple[Any, ...] = ()
    # The names of the figures in `counts` after the person id; then first_in and
    # first_reminded (epoch seconds).
    count_names: tuple[str, ...] = ()
    counts: tuple[Any, ...] = ()
    # person id, at, latest nudge before it, item; moments in epoch seconds
    shares: tuple[Any, ...] = ()
    # person id, when: the requests for tips made on one's own
    help_asks: tuple[Any, ...] = ()
    # person id, average rewrite ratio
    rewrites: tuple[Any, ...] = ()
    # person id, topic
    chosen: tuple[Any, ...] = ()
    # person id, item asked more of
    liked: tuple[Any, ...] = ()
    # item, topic
    content_topics: tuple[Any, ...] = ()
    # person id, clicks
    clicks: tuple[Any, ...] = ()
    # person id, team (a number standing for the team's name): for the team waves
    teams: tuple[Any, ...] = ()


def _each(columns: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of some columns, with NULL read back as None."""
    for row in zip(*columns, strict=True):
        yield tuple(None if value == NULL else value for value in row)


@dataclass(frozen=True)
class PlacedColumns:
    """A workspace's new groups as columns ready to insert (evidence as JSON text), so the
    trip back from the worker and the insert build next to no objects on the event loop."""

    person_ids: array[int] = field(default_factory=lambda: array("q"))
    groups: list[str] = field(default_factory=list)
    confidences: array[float] = field(default_factory=lambda: array("d"))
    sure: array[int] = field(default_factory=lambda: array("b"))
    headlines: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.person_ids)

    def __iter__(self) -> Iterator[Placed]:
        for person_id, group, sure in zip(self.person_ids, self.groups, self.sure, strict=True):
            yield Placed(person_id, Group(group), bool(sure))

    @classmethod
    def of(cls, placements: Iterable[Placement]) -> PlacedColumns:
        """The columns of some placements."""
        placed = cls()
        for p in placements:
            placed.person_ids.append(p.person_id)
            placed.groups.append(p.group.value)
            placed.confidences.append(p.confidence)
            placed.sure.append(int(p.sure))
            placed.headlines.append(p.headline)
            placed.evidence.append(json.dumps(p.evidence))
        return placed


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
    team: int | None = None


def raws_of(rows: WorkspaceRows) -> list[Raw]:
    """Everyone's raw figures from the workspace's rows, in person id order."""
    people = {
        pid: _Person(str(getattr(status, "value", status)), bool(invited))
        for pid, status, invited in _each(rows.people)
    }
    names = rows.count_names
    for person_id, *figures in _each(rows.counts):
        person = people.get(person_id)
        if person is not None:
            person.counts = dict(zip(names, figures[: len(names)], strict=True))
            person.first_in, person.first_reminded = figures[-2], figures[-1]
    for person_id, at, nudged_at, content_id in _each(rows.shares):
        if (person := people.get(person_id)) is not None:
            delay = None if nudged_at is None else int(at) - int(nudged_at)
            person.shares.append(ShareFact(int(at), delay, content_id))
    for person_id, at in _each(rows.help_asks):
        if (person := people.get(person_id)) is not None:
            person.help_asks.append(int(at))
    for person_id, ratio in _each(rows.rewrites):
        if (person := people.get(person_id)) is not None:
            person.rewrite_ratio = float(ratio)
    for person_id, topic_id in _each(rows.chosen):
        if (person := people.get(person_id)) is not None:
            person.chosen.add(topic_id)
    for person_id, content_id in _each(rows.liked):
        if (person := people.get(person_id)) is not None:
            person.liked.append(content_id)
    for person_id, count in _each(rows.clicks):
        if (person := people.get(person_id)) is not None:
            person.clicks = count
    for person_id, team in _each(rows.teams):
        if (person := people.get(person_id)) is not None:
            person.team = team
    topics = _content_topics(list(_each(rows.content_topics)))
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
        team=person.team,
    )


def regroup_rows(
    rows: WorkspaceRows,
    *,
    now: datetime,
    thresholds: Thresholds,
    marks: Mapping[int, Mark] | None = None,
) -> PlacedColumns:
    """A whole workspace's groups from its query rows, as columns ready to store: the
    CPU-bound part of a regrouping, run in the CPU worker (module-level, so it pickles by
    name)."""
    raws = raws_of(rows)
    return PlacedColumns.of(group_workspace(raws, now=now, thresholds=thresholds, marks=marks))
