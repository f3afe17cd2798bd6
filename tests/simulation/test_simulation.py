"""The simulator: the same seed gives the same run, and the groups beat the share-count baseline."""

from __future__ import annotations

import random

from simulation.behaviour import Kind, make_people
from simulation.scoring import baseline, macro_f1, score
from simulation.world import Config, simulate


async def test_the_same_seed_gives_the_same_figures() -> None:
    first = await simulate(Config(employees=20, weeks=3, seed=7))
    second = await simulate(Config(employees=20, weeks=3, seed=7))
    assert first.as_json() == second.as_json()
    assert first.messages_sent > 0


async def test_the_groups_recover_the_hidden_types_on_a_small_scenario() -> None:
    result = await simulate(Config(employees=60, weeks=6, seed=1))
    figures = result.as_json()
    assert set(figures["groups"]) == {"not_interested", "needs_help", "self_driven"}
    assert result.macro_f1 >= 0.8
    assert result.macro_f1 >= result.baseline_macro_f1 + 0.1


def test_people_come_in_the_mix_and_differ_within_a_type() -> None:
    people = make_people(100, random.Random(1))
    kinds = [p.kind for p in people]
    assert (kinds.count(Kind.NOT_INTERESTED), kinds.count(Kind.NEEDS_HELP)) == (40, 35)
    self_driven = [p for p in people if p.kind is Kind.SELF_DRIVEN]
    # Realistic noise: not every self-driven person edits captions.
    assert any(p.editor for p in self_driven) and not all(p.editor for p in self_driven)
    # ...and some of them share right after the DM, while some needing help come back later.
    assert any(p.quick > 0.5 for p in self_driven)
    assert any(p.quick < 0.6 for p in people if p.kind is Kind.NEEDS_HELP)


def test_scores_and_the_baseline() -> None:
    truth = {1: "self_driven", 2: "needs_help", 3: "not_interested"}
    perfect = score(truth, truth)
    assert macro_f1(perfect) == 1.0
    guess = baseline({1: 5, 2: 1}, [1, 2, 3])
    assert guess == {1: "self_driven", 2: "needs_help", 3: "not_interested"}
    wrong = score(truth, {1: "needs_help", 2: "self_driven", 3: "not_interested"})
    assert wrong["self_driven"].precision == 0.0 and wrong["not_interested"].recall == 1.0
