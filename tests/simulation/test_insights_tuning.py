"""bench/insights_tuning.py: which scenarios `record --scenarios` plays."""

from __future__ import annotations

import pytest

from bench.insights_tuning import chosen_scenarios
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
