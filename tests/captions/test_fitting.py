"""Tests for sizing captions: fit_caption, caption_fits and check_final_caption."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from captions import caption_fits, caption_length, caption_room, check_final_caption, fit_caption
from captions.fitting import normalize
from domain.errors import InvalidInput
from domain.networks import Network, caption_budget
from tests.captions.strategies import disclosures, links, networks, texts

LINK = "https://go.example/a1b2c3"


@given(text=texts, network=networks, link=links, disclosure=disclosures)
def test_fit_caption_always_fits_or_refuses_for_lack_of_room(
    text: str, network: Network, link: str, disclosure: str | None
) -> None:
    room = caption_room(network=network, link=link, disclosure=disclosure)
    try:
        fitted = fit_caption(text, network=network, link=link, disclosure=disclosure)
    except InvalidInput as error:
        assert error.code == "caption.no_room"
        assert room < 0
        return
    assert caption_fits(fitted, network=network, link=link)
    ending = normalize(disclosure or "").strip()
    assert fitted.endswith(ending)


@given(text=texts, network=networks, link=links)
def test_fit_caption_keeps_text_that_fits_and_cuts_the_rest_to_a_prefix(
    text: str, network: Network, link: str
) -> None:
    words = normalize(text).strip()
    room = caption_budget(network, link)
    if room < 0:
        return
    fitted = fit_caption(text, network=network, link=link)
    if len(words) <= room:
        assert fitted == words
    elif fitted:
        assert fitted.endswith("…")
        assert words.startswith(fitted[:-1].rstrip())


def test_x_counts_the_link_as_23_characters_whatever_its_length() -> None:
    long_link = "https://go.example/" + "x" * 200
    fitted = fit_caption("word " * 100, network=Network.X, link=long_link)
    assert caption_length(fitted) <= 280 - 24
    assert fitted.endswith("word…")


def test_bluesky_counts_the_link_as_written() -> None:
    link = "https://go.example/" + "x" * 81  # 100 characters, plus the separating space
    fitted = fit_caption("word " * 100, network=Network.BLUESKY, link=link)
    assert len(fitted) <= 300 - 101
    assert not caption_fits("a" * 200, network=Network.BLUESKY, link=link)
    assert caption_fits("a" * 199, network=Network.BLUESKY, link=link)


def test_trims_at_a_word_boundary_and_keeps_the_disclosure_whole() -> None:
    text = "Proud of what the team shipped this quarter " * 10
    fitted = fit_caption(text, network=Network.X, link=LINK, disclosure=" (I work at Acme) ")
    # X leaves 256 characters; the disclosure and its space take 17, so 239 remain for words.
    kept = fitted.removesuffix("… (I work at Acme)")
    assert len(kept) + 1 <= 239
    assert text.startswith(kept) and text[len(kept)] == " "
    assert kept.endswith("shipped this quarter Proud of what the")


def test_a_single_overlong_word_is_cut_mid_word() -> None:
    fitted = fit_caption("a" * 500, network=Network.X, link=LINK)
    assert fitted == "a" * 255 + "…"


def test_disclosure_already_at_the_end_is_not_repeated() -> None:
    fitted = fit_caption(
        "Great read (I work at Acme)", network=Network.X, link=LINK, disclosure="(I work at Acme)"
    )
    assert fitted == "Great read (I work at Acme)"


def test_no_room_for_link_and_disclosure_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        fit_caption("Hi", network=Network.X, link=LINK, disclosure="d" * 300)
    assert raised.value.code == "caption.no_room"


def test_lengths_are_counted_after_nfc() -> None:
    decomposed = "e\u0301" * 256  # 512 code points, 256 characters once composed
    assert caption_length(decomposed) == 256
    assert caption_fits(decomposed, network=Network.X, link=LINK)
    assert check_final_caption(decomposed, network=Network.X, link=LINK) == "\u00e9" * 256


def test_check_final_caption_strips_and_returns_the_text() -> None:
    assert check_final_caption("  My words\n", network=Network.X, link=LINK) == "My words"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_check_final_caption_refuses_empty(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_final_caption(text, network=Network.LINKEDIN, link=LINK)
    assert raised.value.code == "caption.empty"


def test_check_final_caption_names_count_and_allowance() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_final_caption("x" * 301, network=Network.X, link=LINK)
    assert raised.value.code == "caption.too_long"
    assert raised.value.message == (
        "Your caption has 301 characters; X allows 256 next to the link."
    )
    assert raised.value.params == {"count": 301, "network": "X", "limit": 256}


def test_check_final_caption_accepts_exactly_the_allowance() -> None:
    assert check_final_caption("x" * 256, network=Network.X, link=LINK) == "x" * 256


@given(text=st.text(max_size=4000), network=networks, link=links)
def test_check_final_caption_only_ever_raises_invalid_input(
    text: str, network: Network, link: str
) -> None:
    try:
        cleaned = check_final_caption(text, network=network, link=link)
    except InvalidInput as error:
        assert error.code in {"caption.empty", "caption.too_long"}
    else:
        assert cleaned and caption_fits(cleaned, network=network, link=link)
