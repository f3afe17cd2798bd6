"""bench/insights_tuning.py: which scenarios `record --scenarios` plays, and how a recorded
run is scored."""

from __future__ import annotations

import pytest

from bench.insights_tuning import Run, chosen_scenarios, regroup
from insights.grouping import Thresholds
from simulation.scenarios import SCENARIOS


def test_every_scenario_without_the_option() -> None:
    assert chosen_scenarios(None) == list(SCENARIOS)


def test_names_are_semicolon_separated_any_case_and_keep_the_tables_order() -> None:
    names = "Research mix ; usual;combined: everything, pushes unlogged"
    found = [scenario.name for scenario in chosen_scenarios(names)]
    assert found == ["usual", "research mix", "combined: everything, pushes unlogged"]


@pytest.mark.parametrize("names", ["usual;no such thing", "", " ; "])
def test_an_unknown_or_empty_name_is_an_error_listing_the_known_ones(names: str) -> None:
    with pytest.raises(ValueError, match="known: usual; research mix"):
        chosen_scenarios(names)


def test_a_regrouped_run_counts_needs_help_recall_among_those_who_joined() -> None:
    # Nobody left signals, so everyone is placed not interested: recall is 0 among the one
    # person who needs help and joined, and the ceiling is one of two.
    hidden = {1: "needs_help", 2: "needs_help", 3: "self_driven"}
    run = Run(14, "usual", False, hidden, [], {}, {}, {}, frozenset({1, 3}))
    figures = regroup(run, Thresholds()).needs_help_joined
    assert (figures.support, figures.joined, figures.hits) == (2, 1, 0)
    assert figures.ceiling == 0.5 and figures.recall == 0.0
