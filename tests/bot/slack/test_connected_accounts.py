"""Issue 19 in Slack: connect LinkedIn (and Bluesky), edit a caption inline, post it from the chat.

The whole app is served as in production, with a strict fake Slack, a fake LinkedIn and a fake
Bluesky on loopback; the person's browser follows the connect links to the fakes and back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from content_store.models import ConnectedAccount, Link, Share
from handlers import programme
from handlers.context import Services
from tests.bot.slack.slack_user import SlackUser, Surface
from tests.bot.slack.world import SlackWorld, slack_world
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, actor, add_item
from tests.publishing.fakes import FakeBluesky, FakeLinkedIn
from tests.publishing.fixtures import APP_PASSWORD, HANDLE
from tests.publishing.helpers import follow, with_accounts

MY_WORDS = "R&D shipped it (finally) — proud of this team 🚀 #Launch"


@pytest.fixture
async def world(
    services: Services, fake_linkedin: FakeLinkedIn, fake_bluesky: FakeBluesky
) -> AsyncIterator[SlackWorld]:
    wired = with_accounts(services, linkedin=fake_linkedin, bluesky=fake_bluesky)
    async with slack_world(wired, team_id=WORKSPACE) as started:
        yield started


def _served_at(world: SlackWorld) -> str:
    return world.url.removesuffix("/slack/events")


async def _joined(world: SlackWorld, *networks: str) -> SlackUser:
    ann = world.person("U1", name="ann")
    (await ann.command("in")).answered()
    await programme.set_networks(world.services, actor("U1"), list(networks))
    return ann


async def _accounts(ann: SlackUser) -> Surface:
    page = (await ann.command("accounts")).answered().latest
    assert page is not None
    return page


async def _tracked_link(world: SlackWorld) -> str:
    async with world.services.db.session() as session:
        share = (await session.execute(select(Share))).scalar_one()
        link = await session.get_one(Link, share.link_id)
    return world.services.link_url(link.code)


async def _share_with_my_words(ann: SlackUser, network_label: str) -> Surface:
    picks = (await ann.command("")).answered().latest
    assert picks is not None
    ann.type(picks.input("caption:"), MY_WORDS)
    shared = (await ann.press(picks.button(f"Share on {network_label}"))).answered().latest
    assert shared is not None and shared.has(MY_WORDS)
    return shared


async def test_connect_linkedin_edit_inline_and_post_it_from_slack(
    world: SlackWorld, fake_linkedin: FakeLinkedIn, clock: FakeClock
) -> None:
    await add_item(world.services.db, slug="launch", now=clock.now())
    ann = await _joined(world, "linkedin")

    page = await _accounts(ann)
    assert page.has("LinkedIn: not connected") and page.has("only for you")
    connect = page.button("Connect LinkedIn")
    await ann.press(connect)  # Slack reports a link button's press too; the browser opens it
    browser = await follow(
        connect.url or "",
        public_base_url=world.services.public_base_url,
        served_at=_served_at(world),
    )
    assert browser.status == 200 and "LinkedIn account is connected" in await browser.text()
    assert (await _accounts(ann)).has("LinkedIn: connected as Ann Example")

    shared = await _share_with_my_words(ann, "LinkedIn")
    post_now = shared.button("Post to LinkedIn now")
    posted = (await ann.press(post_now)).answered().latest

    [post] = fake_linkedin.posts
    assert post["text"] == MY_WORDS
    assert post["content"]["article"]["source"] == await _tracked_link(world)
    assert post["author"] == f"urn:li:person:{fake_linkedin.member_sub}"
    assert posted is not None and posted.has("Posted on LinkedIn from your account")
    assert posted.button("View your post").url == (
        f"https://www.linkedin.com/feed/update/{post['id']}/"
    )
    # The same button pressed again posts nothing more.
    again = (await ann.press(post_now)).answered().latest
    assert again is not None and again.has("already posted")
    assert len(fake_linkedin.posts) == 1


async def test_an_expired_linkedin_connection_keeps_the_caption_in_slack(
    world: SlackWorld, fake_linkedin: FakeLinkedIn, clock: FakeClock
) -> None:
    await add_item(world.services.db, slug="launch", now=clock.now())
    ann = await _joined(world, "linkedin")
    connect = (await _accounts(ann)).button("Connect LinkedIn")
    await follow(
        connect.url or "",
        public_base_url=world.services.public_base_url,
        served_at=_served_at(world),
    )
    shared = await _share_with_my_words(ann, "LinkedIn")
    fake_linkedin.revoke_all()
    answer = (await ann.press(shared.button("Post to LinkedIn now"))).answered().latest
    assert answer is not None and answer.has("expired or was revoked") and answer.has(MY_WORDS)
    assert answer.button("Connect LinkedIn").url
    assert fake_linkedin.posts == []


async def test_connect_bluesky_with_an_app_password_and_post_from_slack(
    world: SlackWorld, fake_bluesky: FakeBluesky, clock: FakeClock
) -> None:
    import aiohttp

    await add_item(world.services.db, slug="launch", now=clock.now())
    ann = await _joined(world, "bluesky")
    page = await _accounts(ann)
    assert page.has("app password") and page.has("Never give your main Bluesky password")
    form = (page.button("Connect Bluesky").url or "").replace(
        world.services.public_base_url, _served_at(world)
    )
    async with aiohttp.ClientSession() as browser:
        data = {"handle": HANDLE, "app_password": APP_PASSWORD}
        async with browser.post(form, data=data) as answer:
            assert answer.status == 200
    shared = await _share_with_my_words(ann, "Bluesky")
    posted = (await ann.press(shared.button("Post to Bluesky now"))).answered().latest
    [post] = fake_bluesky.posts
    link = await _tracked_link(world)
    assert post["text"] == f"{MY_WORDS} {link}"
    assert post["embed"]["external"]["uri"] == link
    assert posted is not None and posted.has("Posted on Bluesky")

    # Disconnecting from the accounts page deletes the tokens.
    page = await _accounts(ann)
    after = (await ann.press(page.button("Disconnect Bluesky"))).answered().latest
    assert after is not None and after.has("Bluesky is disconnected")
    async with world.services.db.session() as session:
        assert (await session.execute(select(ConnectedAccount))).first() is None


async def test_post_at_nine_tomorrow_from_slack_goes_out_once_through_the_outbox(
    world: SlackWorld, fake_linkedin: FakeLinkedIn, clock: FakeClock
) -> None:
    await add_item(world.services.db, slug="launch", now=clock.now())
    ann = await _joined(world, "linkedin")
    connect = (await _accounts(ann)).button("Connect LinkedIn")
    await follow(
        connect.url or "",
        public_base_url=world.services.public_base_url,
        served_at=_served_at(world),
    )
    shared = await _share_with_my_words(ann, "LinkedIn")
    planned = (await ann.press(shared.button("Post at 09:00 tomorrow"))).answered().latest
    assert planned is not None and planned.has("Planned") and planned.button("Cancel")
    await world.send_queued()
    assert fake_linkedin.posts == []  # not before its time
    clock.advance(hours=24)
    await world.send_queued()
    await world.send_queued()
    [post] = fake_linkedin.posts
    assert post["text"] == MY_WORDS
    told = ann.dm()
    assert told is not None and told.has("Posted on LinkedIn from your account")
