"""The worker's side of a regrouping: raw figures from query columns, groups as columns."""

from __future__ import annotations

import json
import pickle
from array import array
from datetime import UTC, datetime

from insights.grouping import Group, Placement, Thresholds
from insights.rows import NULL, PlacedColumns, WorkspaceRows, raws_of, regroup_rows

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _rows() -> WorkspaceRows:
    return WorkspaceRows(
        people=(array("q", [2, 1]), ["in", "invited"], array("b", [1, 0])),
        count_names=("reminded",),
        counts=(array("q", [2]), array("q", [3]), array("q", [1_000]), array("q", [NULL])),
        shares=(
            array("q", [2, 2, 9]),
            array("q", [5_000, 4_000, 1]),
            array("q", [4_000, NULL, NULL]),
            array("q", [7, NULL, NULL]),
        ),
        help_asks=(array("q", [1]), array("q", [3_000])),
        rewrites=(array("q", [2]), array("d", [0.5])),
        chosen=(array("q", [2]), array("q", [11])),
        liked=(array("q", []), array("q", [])),
        content_topics=(array("q", [7]), array("q", [11])),
        clicks=(array("q", [2]), array("q", [4])),
        teams=(array("q", [2]), array("q", [3])),
    )


def test_raw_figures_come_from_the_columns_with_null_as_none() -> None:
    first, second = raws_of(_rows())
    assert (first.person_id, first.status, first.invited) == (1, "invited", False)
    assert first.help_asks == [3_000] and first.shares == []
    assert second.counts == {"reminded": 3}
    assert (second.first_in, second.first_reminded) == (1_000, None)
    assert [(s.at, s.delay, s.content_id) for s in second.shares] == [
        (4_000, None, None),
        (5_000, 1_000, 7),
    ]
    assert (second.rewrite_ratio, second.clicks, second.topics) == (0.5, 4, frozenset({11}))
    assert (first.team, second.team) == (None, 3)


def test_groups_come_back_as_columns_ready_to_insert() -> None:
    placed = regroup_rows(_rows(), now=NOW, thresholds=Thresholds())
    again = pickle.loads(pickle.dumps(placed))  # noqa: S301 - our own bytes, as the worker sends
    assert list(again) == list(placed)
    assert [p.person_id for p in placed] == [1, 2]
    assert all(isinstance(json.loads(text), list) for text in placed.evidence)


def test_placements_turn_into_columns_and_back() -> None:
    evidence = [{"key": "insights.evidence.quiet", "params": {"count": 3}, "side": "for"}]
    placement = Placement(4, Group.NEEDS_HELP, 0.75, evidence, sure=False, headline="h")
    placed = PlacedColumns.of([placement])
    assert [(p.person_id, p.group, p.sure) for p in placed] == [(4, Group.NEEDS_HELP, False)]
    assert (placed.confidences[0], placed.headlines, len(placed)) == (0.75, ["h"], 1)
    assert json.loads(placed.evidence[0]) == evidence
