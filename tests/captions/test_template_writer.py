"""Tests for the offline template writer and the shape of every suggestion."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings

from captions import (
    MIN_CAPTION_ROOM,
    MIN_VARIANTS,
    CaptionRequest,
    TemplateCaptionWriter,
    caption_fits,
    caption_room,
    fit_caption,
)
from captions.fitting import normalize
from captions.templates import hashtags, short_drafts
from domain.errors import InvalidInput
from domain.networks import Network
from tests.captions.strategies import requests

WRITER = TemplateCaptionWriter()
REQUEST = CaptionRequest(
    title="How we cut our cloud bill by 40%",
    description="A look behind the scenes at our platform team. They moved everything to ARM.",
    link="https://go.example/a1b2c3",
    topics=("cloud computing", "FinOps"),
    network=Network.X,
    person_key="U0001",
)


@settings(max_examples=150)
@given(request=requests)
def test_every_variant_fits_and_carries_the_disclosure(request: CaptionRequest) -> None:
    room = caption_room(network=request.network, link=request.link, disclosure=request.disclosure)
    try:
        suggestion = WRITER.suggest(request)
    except InvalidInput as error:
        assert error.code == "caption.no_room"
        assert room < MIN_CAPTION_ROOM
        return
    assert len(suggestion.variants) >= MIN_VARIANTS
    assert len({v.casefold() for v in suggestion.variants}) == len(suggestion.variants)
    assert suggestion.suggested in suggestion.variants
    ending = normalize(request.disclosure or "").strip()
    for variant in suggestion.variants:
        assert caption_fits(variant, network=request.network, link=request.link)
        assert variant.endswith(ending) and variant.strip() != ending


async def test_write_gives_the_same_as_suggest() -> None:
    assert await WRITER.write(REQUEST) == WRITER.suggest(REQUEST)
    assert WRITER.suggest(REQUEST).source == "template"


def test_different_people_start_from_different_suggestions() -> None:
    people = [dataclasses.replace(REQUEST, person_key=f"U{n:04}") for n in range(8)]
    suggestions = [WRITER.suggest(person) for person in people]
    assert len({s.variants for s in suggestions}) == 1  # same choices for everyone...
    assert len({s.suggested for s in suggestions}) >= 2  # ...different starting points


def test_the_same_person_always_gets_the_same_suggestion() -> None:
    again = dataclasses.replace(REQUEST)
    assert WRITER.suggest(REQUEST) == WRITER.suggest(again)


def test_variants_use_title_description_and_hashtags() -> None:
    variants = WRITER.suggest(REQUEST).variants
    assert all("How we cut our cloud bill by 40%" in v for v in variants)
    assert any("A look behind the scenes at our platform team." in v for v in variants)
    assert not any("They moved everything to ARM" in v for v in variants)  # first sentence only
    assert any(v.endswith("#CloudComputing #FinOps") for v in variants)


def test_dutch_templates_for_dutch_locales() -> None:
    for locale in ("nl", "nl-BE", "nl_NL"):
        dutch = WRITER.suggest(dataclasses.replace(REQUEST, locale=locale)).variants
        assert any(v.startswith("Iets van ons team dat ik graag deel:") for v in dutch)
        assert not any("I'd like to share" in v for v in dutch)


def test_unknown_locale_falls_back_to_english() -> None:
    variants = WRITER.suggest(dataclasses.replace(REQUEST, locale="fr")).variants
    assert any(v.startswith("Something from our team I'd like to share:") for v in variants)


def test_disclosure_is_appended_to_every_variant() -> None:
    request = dataclasses.replace(REQUEST, disclosure="(I work at Acme)")
    assert all(
        v.endswith(". (I work at Acme)") or v.endswith("#FinOps (I work at Acme)")
        for v in WRITER.suggest(request).variants
    )


def test_editorial_caption_comes_first_and_is_fitted() -> None:
    editorial = "Our team wrote up how the ARM move paid off " * 10
    request = dataclasses.replace(
        REQUEST, editorial_caption=editorial, disclosure="(I work at Acme)"
    )
    variants = WRITER.suggest(request).variants
    assert variants[0] == fit_caption(
        editorial, network=Network.X, link=REQUEST.link, disclosure="(I work at Acme)"
    )
    assert variants[0].endswith("… (I work at Acme)")


def test_source_names_where_the_suggestion_came_from() -> None:
    request = dataclasses.replace(REQUEST, editorial_caption="Our team's write-up of the move.")
    for n in range(12):
        suggestion = WRITER.suggest(dataclasses.replace(request, person_key=f"U{n}"))
        from_editorial = suggestion.suggested == suggestion.variants[0]
        assert suggestion.source == ("editorial" if from_editorial else "template")


def test_content_without_title_or_description_still_gets_captions() -> None:
    request = dataclasses.replace(REQUEST, title="  ", description="", topics=())
    variants = WRITER.suggest(request).variants
    assert len(variants) >= MIN_VARIANTS
    assert any("our latest update" in v for v in variants)
    assert not any("#" in v for v in variants)


def test_tight_room_still_gives_distinct_variants() -> None:
    disclosure = "(" + "d" * (256 - 1 - MIN_CAPTION_ROOM - 2) + ")"
    request = dataclasses.replace(REQUEST, disclosure=disclosure)
    assert caption_room(network=Network.X, link=REQUEST.link, disclosure=disclosure) == 20
    variants = WRITER.suggest(request).variants
    assert len(set(variants)) >= MIN_VARIANTS
    assert all(caption_fits(v, network=Network.X, link=REQUEST.link) for v in variants)


def test_too_little_room_is_refused() -> None:
    request = dataclasses.replace(REQUEST, network=Network.BLUESKY, link="https://x/" + "a" * 300)
    with pytest.raises(InvalidInput) as raised:
        WRITER.suggest(request)
    assert raised.value.code == "caption.no_room"


def test_hashtags_are_few_camel_cased_and_sensible() -> None:
    topics = ("cloud computing", "#FinOps", "c++", "2024", "", "Cloud Computing", "ai", "extra")
    assert hashtags(topics) == ["#CloudComputing", "#FinOps"]
    assert hashtags(("c++", "2024", "ai", "data-driven design")) == ["#Ai", "#DataDrivenDesign"]


def test_short_drafts_fit_the_smallest_room_untrimmed() -> None:
    # The guarantee of distinct variants in a tight room rests on this.
    for locale in ("en", "nl"):
        drafts = short_drafts(locale)
        assert len(set(drafts)) == MIN_VARIANTS
        assert all(len(draft) < MIN_CAPTION_ROOM for draft in drafts)
