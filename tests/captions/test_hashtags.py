"""Hashtags from topic slugs: readable casing, few, and only usable ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from captions.hashtags import MAX_HASHTAGS, hashtag, hashtags


@pytest.mark.parametrize(
    ("topic", "tag"),
    [
        ("ai", "#AI"),  # was "#Ai"
        ("customer-stories", "#CustomerStories"),
        ("customer_stories", "#CustomerStories"),
        ("cloud computing", "#CloudComputing"),
        ("esg-reporting", "#ESGReporting"),
        ("finops", "#FinOps"),
        ("#FinOps", "#FinOps"),
        ("iPhone", "#iPhone"),
        ("web3", "#Web3"),
        ("duurzaamheid", "#Duurzaamheid"),
        ("c++", ""),
        ("2024", ""),
        ("", ""),
        ("x" * 31, ""),
    ],
)
def test_topics_become_readable_hashtags(topic: str, tag: str) -> None:
    assert hashtag(topic) == tag


def test_at_most_two_distinct_tags_in_topic_order() -> None:
    topics = ("cloud-computing", "#FinOps", "c++", "Cloud Computing", "ai", "extra")
    assert hashtags(topics) == ["#CloudComputing", "#FinOps"]
    assert hashtags(("c++", "2024", "ai", "data-driven design")) == ["#AI", "#DataDrivenDesign"]


@given(topics=st.lists(st.text(max_size=40), max_size=8).map(tuple))
def test_tags_are_few_distinct_and_single_words(topics: tuple[str, ...]) -> None:
    tags = hashtags(topics)
    assert len(tags) <= MAX_HASHTAGS
    assert len({tag.casefold() for tag in tags}) == len(tags)
    for tag in tags:
        assert tag.startswith("#") and tag[1:].isalnum() and 2 < len(tag) <= 31
