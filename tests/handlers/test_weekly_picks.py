"""Picks through the handler: topics respected, nothing offered twice, captions that fit."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from captions import CaptionRequest, CaptionSuggestion, opening
from content_store.models import Workspace
from domain.errors import InvalidInput
from domain.networks import Network, caption_budget
from domain.programme import Consent
from handlers import programme, sharing, weekly_picks
from handlers.context import Services
from handlers.types import ContentCard, Reply
from tests.conftest import FakeClock
from tests.factories import actor, add_item


def _cards(reply: Reply) -> list[ContentCard]:
    return [block for block in reply.blocks if isinstance(block, ContentCard)]


async def _join(services: Services, *topics: str, networks: tuple[str, ...] = ("x",)) -> None:
    await programme.answer_invitation(services, actor(), "in")
    await programme.set_topics(services, actor(), list(topics))
    await programme.set_networks(services, actor(), list(networks))


async def test_picks_follow_chosen_topics_and_say_why(services: Services, clock: FakeClock) -> None:
    for n in range(3):
        await add_item(services.db, slug=f"product-{n}", topics=("product",), now=clock.now())
    await add_item(services.db, slug="party", topics=("culture",), now=clock.now())
    await _join(services, "#product")
    cards = _cards(await weekly_picks.show_picks(services, actor()))
    assert len(cards) == 3
    assert all("product" in card.url for card in cards)
    assert all(card.reason == "You follow #product" for card in cards)


async def test_same_week_shows_the_same_picks(services: Services, clock: FakeClock) -> None:
    for n in range(6):
        await add_item(services.db, slug=f"item-{n}", topics=("product",), now=clock.now())
    await _join(services, "#product")
    first = await weekly_picks.show_picks(services, actor())
    clock.advance(hours=3)
    again = await weekly_picks.show_picks(services, actor())
    assert [c.content_id for c in _cards(first)] == [c.content_id for c in _cards(again)]
    assert [c.caption for c in _cards(first)] == [c.caption for c in _cards(again)]


async def test_no_item_is_ever_offered_twice_over_the_weeks(
    services: Services, clock: FakeClock
) -> None:
    for n in range(10):
        await add_item(services.db, slug=f"item-{n}", topics=("product",), now=clock.now())
    await _join(services, "#product")
    seen: list[int] = []
    for _ in range(5):
        seen += [
            card.content_id for card in _cards(await weekly_picks.show_picks(services, actor()))
        ]
        clock.advance(days=7)
    assert len(seen) == 10
    assert len(set(seen)) == 10


async def test_a_caption_kept_after_a_longer_networks_share_is_never_cut_and_says_why(
    services: Services, clock: FakeClock
) -> None:
    """After a LinkedIn share, the card keeps the caption for X: the field must hold all of it
    (a client would cut it at its limit) and the label says it must be shortened for X."""
    item = await add_item(services.db, slug="long", topics=("product",), now=clock.now())
    await _join(services, "#product", networks=("linkedin", "x"))
    words = "Proud of what my team shipped this week, in my own words. " * 10
    await sharing.share(services, actor(), sharing.ShareRequest(item, Network.LINKEDIN, words))
    posted = await sharing.confirm(services, actor(), content_id=item, network=Network.LINKEDIN)
    (card,) = _cards(posted)
    assert card.caption == words.strip()
    assert card.caption_max_chars >= len(card.caption)
    assert f"yours has {len(card.caption)} — shorten it" in card.caption_label


async def test_not_for_me_and_shared_items_never_come_back(
    services: Services, clock: FakeClock
) -> None:
    ids = [
        await add_item(services.db, slug=f"i{n}", topics=("product",), now=clock.now())
        for n in range(3)
    ]
    await _join(services, "#product")
    await sharing.give_feedback(services, actor(), content_id=ids[0], kind="not_for_me")
    await sharing.share(services, actor(), sharing.ShareRequest(ids[1], Network.X, "mine"))
    cards = _cards(await weekly_picks.show_picks(services, actor()))
    assert [card.content_id for card in cards] == [ids[2]]


async def test_the_suggestion_fits_the_strictest_network_and_the_input_the_roomiest(
    services: Services, clock: FakeClock
) -> None:
    """Regression (issue 14 item 4): the input was cut at X's limit even to share on LinkedIn."""
    await add_item(services.db, slug="long", topics=("product",), now=clock.now())
    await _join(services, "#product", networks=("linkedin", "x"))
    card = _cards(await weekly_picks.show_picks(services, actor()))[0]
    link = "https://boost.example.org/r/" + "x" * 12
    assert card.caption_max_chars == caption_budget(Network.LINKEDIN, link)
    assert 0 < len(card.caption) <= caption_budget(Network.X, link)
    roomiest, strict = caption_budget(Network.LINKEDIN, link), caption_budget(Network.X, link)
    assert f"up to {roomiest:,} characters; X takes {strict}" in card.caption_label
    assert [b.action_id for b in card.actions] == [
        "share.linkedin",
        "share.x",
        "feedback.not_for_me",
        "feedback.more_like_this",
    ]


async def test_nothing_left_says_so_and_records_nothing(
    services: Services, clock: FakeClock
) -> None:
    await _join(services, "#product")
    reply = await weekly_picks.show_picks(services, actor())
    assert _cards(reply) == []
    assert "Nothing new" in reply.blocks[0].text  # type: ignore[union-attr]


async def test_paused_programme_and_non_participants_get_no_picks(
    services: Services, clock: FakeClock
) -> None:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    with pytest.raises(InvalidInput) as refused:
        await weekly_picks.show_picks(services, actor())
    assert refused.value.code == "programme.not_in"
    await _join(services, "#product")
    async with services.db.session() as session:
        (await session.execute(select(Workspace))).scalar_one().paused = True
    with pytest.raises(InvalidInput) as paused:
        await weekly_picks.show_picks(services, actor())
    assert paused.value.code == "programme.paused"


class RecordingWriter:
    """A caption-writer fake that remembers what it was asked."""

    reads_colleague_openings = True

    def __init__(self) -> None:
        self.requests: list[CaptionRequest] = []

    async def write(self, request: CaptionRequest) -> CaptionSuggestion:
        self.requests.append(request)
        return CaptionSuggestion(variants=("a", "b", "c"), suggested="a", source="template")


async def test_own_past_captions_guide_suggestions_only_with_consent(
    services: Services, clock: FakeClock
) -> None:
    writer = RecordingWriter()
    recording = dataclasses.replace(services, captions=writer)
    ids = [
        await add_item(services.db, slug=f"i{n}", topics=("product",), now=clock.now())
        for n in range(7)
    ]
    await _join(services, "#product")
    await sharing.share(services, actor(), sharing.ShareRequest(ids[0], Network.X, "My own voice"))
    await weekly_picks.show_picks(recording, actor())
    assert writer.requests and all(r.style_examples == () for r in writer.requests)
    await programme.set_consent(services, actor(), Consent.LEARN_STYLE, given=True)
    clock.advance(days=7)
    writer.requests.clear()
    await weekly_picks.show_picks(recording, actor())
    assert writer.requests and all(r.style_examples == ("My own voice",) for r in writer.requests)


async def test_picks_seen_before_choosing_topics_follow_the_topics_once_chosen(
    services: Services, clock: FakeClock
) -> None:
    """Regression (issue 13 item 10): picks were fixed the moment someone joined (the Home tab
    shows them), before they chose topics, and stayed for the week."""
    for n in range(3):
        await add_item(services.db, slug=f"party-{n}", topics=("culture",), now=clock.now())
        await add_item(services.db, slug=f"product-{n}", topics=("product",), now=clock.now())
    await programme.answer_invitation(services, actor(), "in")
    before = _cards(await weekly_picks.show_picks(services, actor(), source="home"))
    assert not all("product" in card.url for card in before)
    await programme.set_topics(services, actor(), ["#product"])
    after = _cards(await weekly_picks.show_picks(services, actor()))
    assert [card.url for card in after] and all("product" in card.url for card in after)


async def test_picks_someone_acted_on_stay_when_topics_change(
    services: Services, clock: FakeClock
) -> None:
    for n in range(3):
        await add_item(services.db, slug=f"party-{n}", topics=("culture",), now=clock.now())
        await add_item(services.db, slug=f"product-{n}", topics=("product",), now=clock.now())
    await programme.answer_invitation(services, actor(), "in")
    before = _cards(await weekly_picks.show_picks(services, actor()))
    request = sharing.ShareRequest(before[0].content_id, Network.X, "Mine")
    await sharing.share(services, actor(), request)
    await programme.set_topics(services, actor(), ["#product"])
    after = _cards(await weekly_picks.show_picks(services, actor()))
    assert [card.url for card in after] == [card.url for card in before]


async def test_an_item_already_shared_says_so_and_offers_only_the_networks_left(
    services: Services, clock: FakeClock
) -> None:
    """Regression (issue 14 item 10): a shared item came back looking untouched."""
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    await _join(services, "#product", networks=("linkedin", "x"))
    (card,) = _cards(await weekly_picks.show_picks(services, actor()))
    await sharing.share(services, actor(), sharing.ShareRequest(card.content_id, Network.X, "Mine"))
    (again,) = _cards(await weekly_picks.show_picks(services, actor(), source="home"))
    assert again.reason == "You shared this on X — another network?"
    assert [b.action_id for b in again.actions][:1] == ["share.linkedin"]
    assert "share.x" not in [b.action_id for b in again.actions]


async def test_captions_are_asked_in_the_persons_language_away_from_openings_already_offered(
    services: Services, clock: FakeClock
) -> None:
    for n in range(3):
        await add_item(services.db, slug=f"p{n}", topics=("product",), now=clock.now())
    await programme.answer_invitation(services, actor("U2"), "in")
    colleague = _cards(await weekly_picks.show_picks(services, actor("U2")))
    writer = RecordingWriter()
    await _join(services, "#product")
    await weekly_picks.show_picks(
        dataclasses.replace(services, captions=writer), actor(locale="nl-BE")
    )
    assert [r.locale for r in writer.requests] == ["nl"] * 3
    # The person's other picks this week: what they were just offered ("a", from the fake).
    assert [r.avoid_openings for r in writer.requests] == [(), ("a",), ("a",)]
    offered = {card.title: opening(card.caption) for card in colleague}
    assert [r.colleague_openings for r in writer.requests] == [
        (offered[r.title],) for r in writer.requests
    ]
