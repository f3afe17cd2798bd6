"""Networks' composers and limits, and topic slugs."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.networks import Network, caption_budget, composer_url, link_cost, parse_network
from domain.topics import MAX_TOPICS, parse_topic, parse_topics

LINK = "https://boost.example.org/r/abcdefghijkl"


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_x_takes_text_and_link_separately() -> None:
    url = composer_url(Network.X, text="Hello & welcome #launch", link=LINK)
    assert url.startswith("https://x.com/intent/post?")
    assert _query(url) == {"text": ["Hello & welcome #launch"], "url": [LINK]}


def test_bluesky_takes_text_with_the_link_in_it() -> None:
    url = composer_url(Network.BLUESKY, text="Hello", link=LINK)
    assert url.startswith("https://bsky.app/intent/compose?")
    assert _query(url) == {"text": [f"Hello {LINK}"]}


@pytest.mark.parametrize(
    ("network", "prefix", "param"),
    [
        (Network.LINKEDIN, "https://www.linkedin.com/sharing/share-offsite/?", "url"),
        (Network.FACEBOOK, "https://www.facebook.com/sharer/sharer.php?", "u"),
    ],
)
def test_linkedin_and_facebook_take_only_the_link(
    network: Network, prefix: str, param: str
) -> None:
    url = composer_url(network, text="not carried", link=LINK)
    assert url.startswith(prefix)
    assert _query(url) == {param: [LINK]}


def test_x_counts_every_link_as_23_characters() -> None:
    assert link_cost(Network.X, LINK) == 24
    assert link_cost(Network.X, LINK + "/much/longer/path") == 24
    assert caption_budget(Network.X, LINK) == 256
    assert caption_budget(Network.BLUESKY, LINK) == 300 - 1 - len(LINK)


@pytest.mark.parametrize(
    ("name", "network"),
    [("Twitter", Network.X), (" LinkedIn ", Network.LINKEDIN), ("bsky", Network.BLUESKY)],
)
def test_network_names(name: str, network: Network) -> None:
    assert parse_network(name) is network


def test_topic_slugs() -> None:
    assert parse_topic(" #Product ") == "product"
    assert parse_topics(["#a", "A", "b"]) == ("a", "b")
    with pytest.raises(InvalidInput, match="At most 20 topics"):
        parse_topics([f"t{n}" for n in range(MAX_TOPICS + 1)])


@given(st.text(max_size=80))
def test_any_topic_text_is_a_slug_or_a_clear_refusal(text: str) -> None:
    try:
        slug = parse_topic(text)
    except InvalidInput as error:
        assert error.code == "topic.invalid"
    else:
        assert slug == slug.lower() and 1 <= len(slug) <= 50 and "#" not in slug
