"""Connected accounts at the use cases: connect, post the caption once, fail without losing it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from content_store.models import ConnectedAccount, ConnectState, Link, Share
from domain.errors import InvalidInput
from domain.networks import Network
from handlers import accounts, programme, sharing
from handlers.accounts import Outcome
from handlers.context import Services
from handlers.deliveries import Outcome as Outcome_
from handlers.sharing import ShareRequest
from handlers.types import ItemSummary, Reply, ShareReady
from tests.conftest import FakeClock
from tests.factories import actor, add_item
from tests.fakes import FakeMessenger, drain
from tests.publishing.fakes import FakeBluesky, FakeLinkedIn
from tests.publishing.fixtures import APP_PASSWORD, HANDLE
from tests.publishing.helpers import (
    button,
    buttons,
    connect_linkedin_via_handlers,
    linkedin_round_trip,
    state_of,
    with_accounts,
)

CAPTION = "My own words (really): proud of the team #Launch"


async def _in(services: Services, *networks: str) -> None:
    await programme.answer_invitation(services, actor(), "in")
    await programme.set_networks(services, actor(), list(networks))


async def _shared(services: Services, clock: FakeClock, network: Network) -> tuple[int, Reply]:
    item = await add_item(services.db, slug="launch", now=clock.now())
    panel = await sharing.share(services, actor(), ShareRequest(item, network, CAPTION))
    return item, panel


async def _connected_and_told(services: Services) -> None:
    """LinkedIn connected, and the chat's word about it sent, so the outbox is empty again."""
    assert await connect_linkedin_via_handlers(services, actor()) is Outcome.CONNECTED
    assert (await drain(services, FakeMessenger()))[Outcome_.SENT] == 1


def _texts(reply: Reply) -> str:
    return " ".join(getattr(block, "text", "") for block in reply.blocks)


async def test_without_settings_nothing_changes(services: Services, clock: FakeClock) -> None:
    await _in(services, "linkedin")
    _, panel = await _shared(services, clock, Network.LINKEDIN)
    assert "Post to LinkedIn now" not in [b.label for b in buttons(panel)]
    page = await accounts.accounts_page(services, actor())
    assert "No accounts can be connected" in _texts(page)


async def test_connect_then_post_exactly_the_caption_once(
    services: Services, clock: FakeClock, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    assert await connect_linkedin_via_handlers(services, actor()) is Outcome.CONNECTED
    page = await accounts.accounts_page(services, actor())
    assert "LinkedIn: connected as Ann Example, until 2027-01-15" in _texts(page)
    item, panel = await _shared(services, clock, Network.LINKEDIN)
    post = button(panel, "Post to LinkedIn now")
    reply = await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    [posted] = fake_linkedin.posts
    assert posted["text"] == CAPTION
    async with services.db.session() as session:
        share = (await session.execute(select(Share))).scalar_one()
        link = services.link_url((await session.get_one(Link, share.link_id)).code)
    assert posted["content"]["article"]["source"] == link
    assert posted["content"]["article"]["title"] == "Story launch"
    assert share.confirmed_at is not None and share.posted_ref == posted["id"]
    assert (
        button(reply, "View your post").url
        == f"https://www.linkedin.com/feed/update/{posted['id']}/"
    )
    assert any(isinstance(block, ItemSummary) for block in reply.blocks)
    # The panel that showed the caption is gone (replaced by this answer): it says what went.
    assert f"exactly this text: “{CAPTION}”" in _texts(reply)
    # A second press (or a replayed one) answers with the post and posts nothing.
    again = await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert len(fake_linkedin.posts) == 1
    assert "already posted" in _texts(again) and button(again, "View your post")
    # It replaces the card pressed on, so the item stays on it as the first answer left it.
    assert [b for b in again.blocks if isinstance(b, ItemSummary)] == [
        b for b in reply.blocks if isinstance(b, ItemSummary)
    ]
    assert post.value == f"{item}:linkedin"


async def test_a_late_second_press_keeps_the_other_networks_on_the_card(
    services: Services, clock: FakeClock, fake_linkedin: FakeLinkedIn
) -> None:
    """In Teams the answer replaces the whole card: the second press of a double click must
    leave "Share on Bluesky" there, as the first press's answer did."""
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin", "bluesky")
    await connect_linkedin_via_handlers(services, actor())
    item, _ = await _shared(services, clock, Network.LINKEDIN)
    first = await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    again = await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert len(fake_linkedin.posts) == 1
    assert "already posted" in _texts(again)
    assert button(first, "Share on Bluesky") == button(again, "Share on Bluesky")
    later = await accounts.post_later(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert button(later, "Share on Bluesky") == button(first, "Share on Bluesky")


async def test_an_expired_connection_asks_to_reconnect_and_keeps_the_caption(
    services: Services, clock: FakeClock, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    await connect_linkedin_via_handlers(services, actor())
    item, _ = await _shared(services, clock, Network.LINKEDIN)
    fake_linkedin.revoke_all()  # revoked by the member, or expired early
    reply = await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert "expired or was revoked" in _texts(reply)
    [panel] = [b for b in reply.blocks if isinstance(b, ShareReady)]
    assert panel.caption == CAPTION
    assert fake_linkedin.posts == []
    # The answer replaces the panel, so it carries the button to press once reconnected.
    again = button(reply, "Post to LinkedIn now")
    assert again.value == f"{item}:linkedin"
    # Reconnected through the answer's link, the same press works, and only then.
    connect = button(reply, "Connect LinkedIn").url or ""
    assert await linkedin_round_trip(services, connect) is Outcome.CONNECTED
    await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert [p["text"] for p in fake_linkedin.posts] == [CAPTION]


async def test_a_token_past_its_60_days_is_not_even_tried(
    services: Services, clock: FakeClock, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    await connect_linkedin_via_handlers(services, actor())
    item, _ = await _shared(services, clock, Network.LINKEDIN)
    clock.advance(days=61)
    reply = await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert "expired or was revoked" in _texts(reply)
    assert fake_linkedin.post_attempts == 0
    page = await accounts.accounts_page(services, actor())
    assert "connection as Ann Example has expired" in _texts(page)
    assert {b.label for b in buttons(page)} == {"Connect LinkedIn", "Disconnect LinkedIn"}


async def test_a_busy_linkedin_is_retried_then_said_plainly(
    services: Services, clock: FakeClock, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    await connect_linkedin_via_handlers(services, actor())
    item, _ = await _shared(services, clock, Network.LINKEDIN)
    fake_linkedin.fail_posts = [429, 503, 502]
    reply = await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert "busy right now" in _texts(reply) and "Nothing was posted" in _texts(reply)
    assert [b.caption for b in reply.blocks if isinstance(b, ShareReady)] == [CAPTION]
    assert fake_linkedin.post_attempts == 3
    # The claim was released: the next press posts.
    await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert len(fake_linkedin.posts) == 1


async def test_no_answer_in_time_is_never_posted_twice(
    services: Services, clock: FakeClock, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    await connect_linkedin_via_handlers(services, actor())
    item, _ = await _shared(services, clock, Network.LINKEDIN)
    fake_linkedin.fail_posts = [500]  # LinkedIn may have made the post before failing
    reply = await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert "may or may not be there" in _texts(reply) and fake_linkedin.post_attempts == 1
    assert [b.caption for b in reply.blocks if isinstance(b, ShareReady)] == [CAPTION]
    # Pressed again at once: not sent again while the first attempt's claim holds.
    with pytest.raises(InvalidInput, match="being posted right now"):
        await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert fake_linkedin.post_attempts == 1
    clock.advance(minutes=3)  # the person looked: nothing there; the press works again
    await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert [p["text"] for p in fake_linkedin.posts] == [CAPTION]


async def test_declining_on_linkedin_stores_nothing_and_the_link_is_used_up(
    services: Services, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    fake_linkedin.decline = True
    assert await connect_linkedin_via_handlers(services, actor()) is Outcome.CANCELLED
    async with services.db.session() as session:
        assert (await session.execute(select(ConnectedAccount))).first() is None


async def test_a_stale_or_forged_link_connects_nothing(
    services: Services, clock: FakeClock, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    page = await accounts.accounts_page(services, actor())
    state = state_of(button(page, "Connect LinkedIn").url or "")
    assert await accounts.linkedin_start(services, "forged" * 6) is None
    clock.advance(minutes=16)
    assert await accounts.linkedin_start(services, state) is None
    finished = await accounts.linkedin_finish(services, state=state, code="x", error=None)
    assert finished.outcome is Outcome.STALE


async def test_disconnect_and_leaving_delete_the_tokens(
    services: Services, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    await connect_linkedin_via_handlers(services, actor())
    reply = await accounts.disconnect(services, actor(), "linkedin")
    assert "LinkedIn is disconnected" in _texts(reply)
    assert button(reply, "Connect LinkedIn")
    await connect_linkedin_via_handlers(services, actor())
    await programme.answer_invitation(services, actor(), "no")
    async with services.db.session() as session:
        assert (await session.execute(select(ConnectedAccount))).first() is None
        assert (await session.execute(select(ConnectState))).first() is None


@pytest.mark.parametrize("value", ["x", "facebook", "", "linkedin:1"])
async def test_disconnect_refuses_networks_that_cannot_be_connected(
    services: Services, fake_linkedin: FakeLinkedIn, value: str
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    with pytest.raises(InvalidInput):
        await accounts.disconnect(services, actor(), value)


async def test_bluesky_connects_with_an_app_password_and_posts_a_card(
    services: Services, clock: FakeClock, fake_bluesky: FakeBluesky
) -> None:
    services = with_accounts(services, linkedin=None, bluesky=fake_bluesky)
    await _in(services, "bluesky")
    page = await accounts.accounts_page(services, actor())
    assert "app password" in _texts(page) and "Never give your main" in _texts(page)
    state = state_of(button(page, "Connect Bluesky").url or "")
    wrong = await accounts.bluesky_connect(services, state=state, handle=HANDLE, app_password="x")
    assert wrong.outcome is Outcome.REFUSED
    done = await accounts.bluesky_connect(
        services, state=state, handle=f"@{HANDLE}", app_password=APP_PASSWORD
    )
    assert done.outcome is Outcome.CONNECTED
    item, panel = await _shared(services, clock, Network.BLUESKY)
    assert button(panel, "Post to Bluesky now")
    fake_bluesky.expire_access()  # hours later: the refresh token renews the session
    reply = await accounts.post_now(services, actor(), content_id=item, network=Network.BLUESKY)
    [posted] = fake_bluesky.posts
    link = posted["embed"]["external"]["uri"]
    assert posted["text"] == f"{CAPTION} {link}"
    assert posted["embed"]["external"]["title"] == "Story launch"
    view = button(reply, "View your post").url
    assert view is not None and view.startswith(f"https://bsky.app/profile/{HANDLE}/post/")
    fake_bluesky.revoke_all()
    clock.advance(hours=1)
    other = await add_item(services.db, slug="next", now=clock.now())
    await sharing.share(services, actor(), ShareRequest(other, Network.BLUESKY, "More words"))
    reply = await accounts.post_now(services, actor(), content_id=other, network=Network.BLUESKY)
    assert "expired or was revoked" in _texts(reply)
    assert len(fake_bluesky.posts) == 1


async def test_the_chat_is_told_when_an_account_is_connected_in_the_browser(
    services: Services, fake_linkedin: FakeLinkedIn, fake_bluesky: FakeBluesky
) -> None:
    """The chat still shows the card with the connect link the browser used: a new message
    says it worked, with the page as it is now."""
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=fake_bluesky)
    await _in(services, "linkedin", "bluesky")
    await connect_linkedin_via_handlers(services, actor())
    messenger = FakeMessenger()
    assert (await drain(services, messenger))[Outcome_.SENT] == 1
    [(_, told)] = messenger.sent
    said = _texts(told)
    assert said.startswith("LinkedIn is connected as Ann Example: “Post to LinkedIn now”"), said
    assert "Bluesky: not connected" in said
    assert [b.label for b in buttons(told)] == ["Disconnect LinkedIn", "Connect Bluesky"]
    assert sum((await drain(services, messenger)).values()) == 0  # said once


async def test_no_word_of_a_connection_that_is_gone_before_it_is_said(
    services: Services, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    await connect_linkedin_via_handlers(services, actor())
    await accounts.disconnect(services, actor(), "linkedin")
    messenger = FakeMessenger()
    await drain(services, messenger)
    assert messenger.sent == []


# ---------------------------------------------------------------- post at 09:00 tomorrow


async def test_post_at_nine_tomorrow_goes_out_once_through_the_outbox(
    services: Services, clock: FakeClock, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    await _connected_and_told(services)
    item, panel = await _shared(services, clock, Network.LINKEDIN)
    planned = await accounts.post_later(
        services, actor(), content_id=item, network=Network.LINKEDIN
    )
    assert "2026-11-17 09:00" in _texts(planned) and button(planned, "Cancel the planned post")
    messenger = FakeMessenger()
    assert sum((await drain(services, messenger)).values()) == 0  # not due yet
    clock.advance(hours=24)
    assert (await drain(services, messenger))[Outcome_.SENT] == 1
    [posted] = fake_linkedin.posts
    assert posted["text"] == CAPTION
    [(_, told)] = messenger.sent
    assert "Posted on LinkedIn" in _texts(told) and button(told, "View your post")
    assert CAPTION in _texts(told), "a planned post's message says what was posted"
    clock.advance(hours=24)
    await drain(services, messenger)
    await accounts.post_now(services, actor(), content_id=item, network=Network.LINKEDIN)
    assert len(fake_linkedin.posts) == 1
    assert button(panel, "Post at 09:00 tomorrow").value == f"{item}:linkedin"


async def test_a_planned_post_can_be_cancelled_until_it_goes(
    services: Services, clock: FakeClock, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    await connect_linkedin_via_handlers(services, actor())
    item, _ = await _shared(services, clock, Network.LINKEDIN)
    await accounts.post_later(services, actor(), content_id=item, network=Network.LINKEDIN)
    cancelled = await accounts.cancel_post_later(
        services, actor(), content_id=item, network=Network.LINKEDIN
    )
    assert "nothing will be posted" in _texts(cancelled)
    assert [b.caption for b in cancelled.blocks if isinstance(b, ShareReady)] == [CAPTION]
    clock.advance(days=2)
    await drain(services, FakeMessenger())
    assert fake_linkedin.posts == []


async def test_a_busy_linkedin_at_nine_is_retried_by_the_outbox(
    services: Services, clock: FakeClock, fake_linkedin: FakeLinkedIn
) -> None:
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=None)
    await _in(services, "linkedin")
    await _connected_and_told(services)
    item, _ = await _shared(services, clock, Network.LINKEDIN)
    await accounts.post_later(services, actor(), content_id=item, network=Network.LINKEDIN)
    clock.advance(hours=24)
    fake_linkedin.fail_posts = [503, 503, 503]
    messenger = FakeMessenger()
    assert (await drain(services, messenger))[Outcome_.RETRY] == 1
    assert fake_linkedin.posts == [] and messenger.sent == []
    clock.advance(minutes=5)
    assert (await drain(services, messenger))[Outcome_.SENT] == 1
    assert [p["text"] for p in fake_linkedin.posts] == [CAPTION]


async def test_the_home_page_says_what_is_connected_and_how_to_change_it(
    services: Services, fake_linkedin: FakeLinkedIn, fake_bluesky: FakeBluesky
) -> None:
    from handlers.home import home

    await _in(services, "linkedin")
    assert "connected" not in _texts(await home(services, actor()))  # unconfigured: unchanged
    services = with_accounts(services, linkedin=fake_linkedin, bluesky=fake_bluesky)
    await connect_linkedin_via_handlers(services, actor())
    shown = _texts(await home(services, actor()))
    assert "LinkedIn: connected as Ann Example" in shown and "Bluesky: not connected" in shown
    assert "/boost accounts" in shown
