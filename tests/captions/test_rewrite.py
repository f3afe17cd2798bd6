"""Tests for rewrite_ratio, the share of a suggested caption a person rewrote."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from captions import rewrite_ratio
from captions.rewrite import MAX_COMPARED_CHARS
from tests.captions.textbook import reference_distance


def test_identical_texts_score_zero() -> None:
    assert rewrite_ratio("Proud of this launch", "Proud of this launch") == 0.0
    assert rewrite_ratio("", "") == 0.0


def test_completely_different_texts_score_one() -> None:
    assert rewrite_ratio("abc", "xyz") == 1.0
    assert rewrite_ratio("", "Entirely my own words") == 1.0
    assert rewrite_ratio("Suggested words", "") == 1.0


def test_a_small_edit_scores_small() -> None:
    suggested = "I found this one worth reading: how we cut our cloud bill by 40%."
    final = "I found this one well worth reading: how we cut our cloud bill by 40%!"
    assert 0 < rewrite_ratio(suggested, final) < 0.1


def test_a_full_rewrite_scores_high() -> None:
    suggested = "I found this one worth reading: how we cut our cloud bill by 40%."
    final = "Our platform team did something clever with ARM servers. Proud of them."
    assert rewrite_ratio(suggested, final) > 0.6


def test_compares_composed_characters() -> None:
    assert rewrite_ratio("cafe\u0301", "caf\u00e9") == 0.0


def test_only_the_first_characters_are_compared() -> None:
    common = "a" * MAX_COMPARED_CHARS
    assert rewrite_ratio(common + "tail one", common + "something else") == 0.0


def test_long_texts_are_handled() -> None:
    first = ("the quick brown fox " * 200)[:MAX_COMPARED_CHARS]
    second = ("jumps over a lazy dog " * 200)[:MAX_COMPARED_CHARS]
    assert 0.3 < rewrite_ratio(first, second) <= 1.0


small_texts = st.text(alphabet="abcé ", max_size=30)


@given(first=small_texts, second=small_texts)
def test_ratio_is_the_textbook_levenshtein_distance_over_the_longer_length(
    first: str, second: str
) -> None:
    # Guards the metric: rapidfuzz also offers Indel-based ratios, which would read differently.
    longest = max(len(first), len(second))
    expected = reference_distance(first, second) / longest if longest else 0.0
    assert rewrite_ratio(first, second) == pytest.approx(expected)


def test_a_substitution_costs_one_edit_not_two() -> None:
    # Indel distance would count "cat" -> "cut" as a deletion plus an insertion (2/3).
    assert rewrite_ratio("cat", "cut") == pytest.approx(1 / 3)


@given(first=st.text(max_size=200), second=st.text(max_size=200))
def test_ratio_is_a_symmetric_fraction(first: str, second: str) -> None:
    ratio = rewrite_ratio(first, second)
    assert 0.0 <= ratio <= 1.0
    assert ratio == rewrite_ratio(second, first)
    assert rewrite_ratio(first, first) == 0.0
