"""The share flow: caption saved, one tracked link, composer URL, confirmation, feedback."""

from __future__ import annotations

import asyncio
import dataclasses
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, func, select

from content_store.models import Event, Feedback, Link, Share
from domain.errors import InvalidInput
from domain.networks import Network
from domain.programme import Role
from handlers import content_library, programme, sharing, weekly_picks, workspace_admin
from handlers.context import Services
from handlers.sharing import ShareRequest
from handlers.types import ContentCard, ShareReady
from messages import describe_error
from tests.conftest import FakeClock
from tests.factories import actor, add_item, grant


async def _count(services: Services, model: type) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _joined(services: Services) -> None:
    await programme.answer_invitation(services, actor(), "in")


async def test_share_on_x_puts_caption_and_tracked_link_in_the_composer(
    services: Services, clock: FakeClock
) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", topics=("product",), now=clock.now())
    reply = await sharing.share(
        services, actor(), ShareRequest(item_id, Network.X, "  Proud of this launch!  ")
    )
    ready = reply.blocks[0]
    assert isinstance(ready, ShareReady)
    assert ready.caption == "Proud of this launch!"
    composer = next(b.url for b in ready.actions if b.url)
    query = parse_qs(urlsplit(composer).query)
    assert query["text"] == ["Proud of this launch!"]
    assert query["url"][0].startswith("https://boost.example.org/r/")
    assert [b.action_id for b in ready.actions] == ["share.open", "share.confirm"]


async def test_linkedin_takes_only_the_link_so_the_caption_is_shown_to_copy(
    services: Services, clock: FakeClock
) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    reply = await sharing.share(services, actor(), ShareRequest(item_id, Network.LINKEDIN, "Mine"))
    ready = reply.blocks[0]
    assert isinstance(ready, ShareReady)
    composer = next(b.url for b in ready.actions if b.url) or ""
    assert composer.startswith("https://www.linkedin.com/sharing/share-offsite/?url=")
    assert "Mine" not in composer
    assert "copy your caption" in ready.copy_hint


async def test_double_click_makes_one_share_one_link_one_event(
    services: Services, clock: FakeClock
) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    request = ShareRequest(item_id, Network.BLUESKY, "My words")
    await asyncio.gather(*(sharing.share(services, actor(), request) for _ in range(2)))
    await sharing.share(services, actor(), ShareRequest(item_id, Network.BLUESKY, "Better words"))
    assert await _count(services, Share) == 1
    assert await _count(services, Link) == 1
    async with services.db.session() as session:
        share = (await session.execute(select(Share))).scalar_one()
        intents = await session.scalar(select(func.count()).where(Event.type == "share_intent"))
    assert share.final_caption == "Better words"
    assert intents == 1


async def test_rewrite_ratio_compares_with_what_was_suggested(
    services: Services, clock: FakeClock
) -> None:
    await _joined(services)
    item_id = await add_item(
        services.db, slug="launch", now=clock.now(), captions={Network.X: "Read about our launch"}
    )
    await sharing.share(
        services, actor(), ShareRequest(item_id, Network.X, "Read about our launch")
    )
    await programme.answer_invitation(services, actor("U2"), "in")
    await sharing.share(services, actor("U2"), ShareRequest(item_id, Network.X, "x"))
    async with services.db.session() as session:
        ratios = dict(
            (await session.execute(select(Share.final_caption, Share.rewrite_ratio))).all()
        )
    assert ratios["Read about our launch"] == 0.0
    assert ratios["x"] > 0.9


async def test_too_long_caption_for_x_is_refused_and_nothing_is_saved(
    services: Services, clock: FakeClock
) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    with pytest.raises(InvalidInput) as refused:
        await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "a" * 300))
    assert refused.value.code == "caption.too_long"
    assert await _count(services, Share) == 0
    assert await _count(services, Link) == 0


async def test_a_prompt_left_in_the_caption_is_refused_and_nothing_is_saved(
    services: Services, clock: FakeClock
) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    caption = "Just read “Story launch”. [why this matters to you]"
    with pytest.raises(InvalidInput) as refused:
        await sharing.share(services, actor(), ShareRequest(item_id, Network.LINKEDIN, caption))
    assert refused.value.code == "caption.placeholder"
    assert refused.value.params == {"placeholder": "[why this matters to you]"}
    assert describe_error(refused.value.code, "", "nl", **refused.value.params).startswith(
        "Je tekst bevat nog [why this matters to you]."
    )
    assert await _count(services, Share) == 0
    assert await _count(services, Link) == 0
    filled = caption.replace("[why this matters to you]", "We run this every day.")
    reply = await sharing.share(services, actor(), ShareRequest(item_id, Network.LINKEDIN, filled))
    assert reply.blocks[0].caption == filled  # type: ignore[union-attr]


async def test_a_suggestion_shared_unchanged_asks_for_the_persons_own_words(
    services: Services, clock: FakeClock
) -> None:
    await _joined(services)
    await add_item(services.db, slug="launch", now=clock.now())
    (card,) = [
        block
        for block in (await weekly_picks.show_picks(services, actor())).blocks
        if isinstance(block, ContentCard)
    ]
    request = ShareRequest(card.content_id, Network.X, card.caption)
    with pytest.raises(InvalidInput) as refused:
        await sharing.share(services, actor(), request)
    assert refused.value.code == "caption.placeholder"
    assert refused.value.params["placeholder"] in card.caption
    own = card.caption.replace(refused.value.params["placeholder"], "Proud of this team.")
    reply = await sharing.share(services, actor(), dataclasses.replace(request, caption=own))
    assert isinstance(reply.blocks[0], ShareReady)


async def test_disclosure_line_is_appended_once(services: Services, clock: FakeClock) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    async with services.db.session() as session:
        from content_store.models import Workspace

        ws = (await session.execute(select(Workspace))).scalar_one()
        ws.disclosure_line = "(I work at Example)"
    reply = await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "Nice"))
    assert reply.blocks[0].caption == "Nice\n(I work at Example)"  # type: ignore[union-attr]
    reply = await sharing.share(
        services, actor(), ShareRequest(item_id, Network.X, "Nice (I work at Example)")
    )
    assert reply.blocks[0].caption == "Nice (I work at Example)"  # type: ignore[union-attr]


async def test_confirm_needs_a_share_and_counts_once(services: Services, clock: FakeClock) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    with pytest.raises(InvalidInput, match="share button first"):
        await sharing.confirm(services, actor(), content_id=item_id, network=Network.X)
    await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "Mine"))
    await sharing.confirm(services, actor(), content_id=item_id, network=Network.X)
    first = clock.now()
    clock.advance(minutes=5)
    await sharing.confirm(services, actor(), content_id=item_id, network=Network.X)
    async with services.db.session() as session:
        share = (await session.execute(select(Share))).scalar_one()
    assert share.confirmed_at == first


async def test_people_who_are_not_in_cannot_share(services: Services, clock: FakeClock) -> None:
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    with pytest.raises(InvalidInput) as refused:
        await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "Mine"))
    assert refused.value.code == "programme.not_in"


async def test_unknown_item_is_refused(services: Services) -> None:
    await _joined(services)
    with pytest.raises(InvalidInput, match="no content item 999"):
        await sharing.share(services, actor(), ShareRequest(999, Network.X, "Mine"))


async def test_feedback_keeps_the_latest_word(services: Services, clock: FakeClock) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    await sharing.give_feedback(services, actor(), content_id=item_id, kind="not_for_me")
    await sharing.give_feedback(services, actor(), content_id=item_id, kind="not_for_me")
    await sharing.give_feedback(services, actor(), content_id=item_id, kind="more_like_this")
    async with services.db.session() as session:
        kinds = list((await session.execute(select(Feedback.kind))).scalars())
    assert kinds == ["more_like_this"]
    with pytest.raises(InvalidInput):
        await sharing.give_feedback(services, actor(), content_id=item_id, kind="love it")


def _statements(services: Services) -> list[str]:
    """Statements SQLAlchemy executes from now on (a program's are not among them)."""
    executed: list[str] = []

    def note(_connection: object, _cursor: object, statement: str, *_: object) -> None:
        executed.append(statement)

    event.listen(services.db.engine.sync_engine, "before_cursor_execute", note)
    return executed


async def test_a_known_persons_press_is_one_program_and_the_same_share(
    services: Services, clock: FakeClock
) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    executed = _statements(services)
    reply = await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "Mine"))
    again = await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "Mine too"))
    assert executed == []  # no ORM query, no flush: the read and the writes went as a program
    ready, second = reply.blocks[0], again.blocks[0]
    assert isinstance(ready, ShareReady) and isinstance(second, ShareReady)
    assert (ready.caption, second.caption) == ("Mine", "Mine too")
    assert ready.guidelines and [b.action_id for b in ready.actions] == [
        "share.open",
        "share.confirm",
    ]
    async with services.db.session() as session:
        share = (await session.execute(select(Share))).scalar_one()
        intents = await session.scalar(select(func.count()).where(Event.type == "share_intent"))
    assert (share.final_caption, intents) == ("Mine too", 1)


async def test_a_press_that_brings_news_of_the_person_stores_it_then_goes_as_a_program(
    services: Services, clock: FakeClock
) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    dutch = actor(locale="nl-NL")
    executed = _statements(services)
    reply = await sharing.share(services, dutch, ShareRequest(item_id, Network.X, "Van mij"))
    assert any(statement.lstrip().upper().startswith("UPDATE PEOPLE") for statement in executed)
    executed.clear()
    again = await sharing.share(services, dutch, ShareRequest(item_id, Network.X, "Van mij"))
    assert executed == []
    for answer in (reply, again):
        ready = answer.blocks[0]
        assert isinstance(ready, ShareReady)
        assert "Ik heb het geplaatst" in [b.label for b in ready.actions]


async def test_a_paused_programme_or_a_retired_item_refuses_a_known_persons_press(
    services: Services, clock: FakeClock
) -> None:
    await _joined(services)
    item_id = await add_item(services.db, slug="launch", now=clock.now())
    await grant(services.db, "U9", Role.ADMIN)
    await content_library.retire(services, actor("U9"), item_id)
    with pytest.raises(InvalidInput) as refused:
        await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "Mine"))
    assert refused.value.code == "share.unavailable"
    await workspace_admin.set_paused(services, actor("U9"), paused=True)
    with pytest.raises(InvalidInput) as refused:
        await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "Mine"))
    assert refused.value.code == "programme.paused"
    assert await _count(services, Share) == 0
    assert await _count(services, Link) == 0
