"""Connected accounts in Teams (issue 19), in Microsoft 365 Agents Playground in chromium.

One person, in order: the accounts card; declining on LinkedIn's page; "Connect LinkedIn"
opens the bot's connect link in the browser, which goes to the fake LinkedIn and back to
/oauth/linkedin/callback, and the chat is told (the server's outbox sender runs throughout);
"Connect Bluesky" opens the bot's form, where a wrong app password is refused and the right
one connects; picks; a caption rewritten in the card; "Post to LinkedIn now" (the fake gets
exactly that text and the tracked link), pressed twice; Bluesky planned for 09:00, cancelled,
then posted now; a revoked LinkedIn token, connected again from the answer; disconnect;
`forget-me` and a scan of every table. The fakes run on loopback; every step fails on any
error the client shows and leaves a screenshot in var/screenshots/teams/accounts/ (and one of
each connect page). Run the whole module: a step needs the ones before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import BrowserContext, Locator, Page
from sqlalchemy import select

from captions import TemplateCaptionWriter
from content_store.database import Database
from content_store.models import Base, ConnectedAccount, ConnectState, Link, Share
from domain.networks import Network
from handlers.context import Services
from handlers.types import Messenger
from messages import translate
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig
from tests.bot.teams.fake_connector import free_port
from tests.bot.teams.playground import Playground
from tests.bot.teams.test_render import elements
from tests.e2e.conftest import (
    SCREENSHOTS,
    Site,
    Turns,
    joined,
    playground_for,
    seed_tenant,
    teams_bot,
)
from tests.e2e.teams_browser import TeamsChat, chromium, chromium_or_skip
from tests.publishing.fakes import FakeBluesky, FakeLinkedIn, serve
from tests.publishing.fixtures import APP_PASSWORD, DID, HANDLE, MAIN_PASSWORD
from tests.publishing.helpers import with_accounts

pytestmark = pytest.mark.serial

SHOTS = SCREENSHOTS / "accounts"
# Words a person types in the card: reserved characters of LinkedIn's little text, an emoji
# (several UTF-8 bytes before Bluesky's link facet) and a hashtag.
LINKEDIN_WORDS = "R&D shipped it (finally) — proud of this team 🚀 #Launch"
BLUESKY_WORDS = "Our on-call rota, in my words: calm nights ☕ #Engineering"
AGAIN_WORDS = "Hiring again: come and work with us <3 [engineering]"
WRONG_PASSWORD = "abcd-efgh-ijkl-xxxx"
NAME = FakeLinkedIn.member_name


def en(key: str, **params: Any) -> str:
    return translate(key, "en", **params)


@dataclass
class Journey:
    """The person's browser, the fakes, and what earlier steps left for later ones."""

    chat: TeamsChat
    sent: Playground
    turns: Turns
    services: Services
    linkedin: FakeLinkedIn
    bluesky: FakeBluesky
    reached: set[str] = field(default_factory=set)
    accounts: Locator | None = None
    picks: list[Locator] = field(default_factory=list)
    panels: dict[Network, Locator] = field(default_factory=dict)

    def need(self, *steps: str) -> None:
        missing = [name for name in steps if name not in self.reached]
        if missing:
            pytest.skip(f"needs the earlier steps {missing} (run the whole module)")

    async def turn(self, act: Callable[[], Awaitable[None]]) -> None:
        """Do `act` and wait until the bot's turn has ended and its cards are shown."""
        mark, started = self.sent.mark(), self.turns.started
        shown_before = await self.chat.cards.count()
        await act()
        await self.turns.settled(after=started)
        created = sum(1 for s in self.sent.since(mark) if s.action == "createMessage" and s.cards)
        if created:
            await self.chat.cards.nth(shown_before + created - 1).wait_for()

    async def accounts_card(self) -> Locator:
        """Ask for `accounts`; the card that answers."""
        card = await self.chat.reply(
            lambda: self.chat.say("accounts"), containing=en("accounts.title")
        )
        self.accounts = card
        return card

    async def told(self, text: str) -> Locator:
        """The card the bot sends on its own (through the outbox) that says `text`."""
        card = self.chat.cards_with(text).last
        await card.wait_for()
        return card

    async def opened(self, scope: Locator, label: str) -> Page:
        """Press a link button; the browser tab it opens, loaded."""
        async with self.chat.page.context.expect_page() as opening:
            await self.chat.press(scope, label)
        page = await opening.value
        await page.wait_for_load_state()
        return page


@contextlib.asynccontextmanager
async def step(journey: Journey, name: str) -> AsyncIterator[dict[str, Locator]]:
    """One step: a screenshot at its end (also when it fails), then no client errors."""
    shown: dict[str, Locator] = {}
    try:
        yield shown
    finally:
        await journey.chat.screenshot(name, show=shown.get("card"))
        errors = await journey.chat.new_errors()
    assert not errors, f"the client shows errors after step {name}: {errors}"


async def _text(card: Locator) -> str:
    return " ".join((await card.inner_text()).split())


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
async def fakes() -> AsyncIterator[tuple[FakeLinkedIn, FakeBluesky]]:
    linkedin, bluesky = FakeLinkedIn(), FakeBluesky()
    bluesky.add_account(HANDLE, DID, app_password=APP_PASSWORD, main_password=MAIN_PASSWORD)
    async with serve(linkedin), serve(bluesky):
        yield linkedin, bluesky


@pytest.fixture(scope="module")
async def journey(
    fakes: tuple[FakeLinkedIn, FakeBluesky],
    site: Site,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Journey]:
    chromium_or_skip()  # before starting anything else
    linkedin, bluesky = fakes
    database = Database(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('accounts') / 'a.db'}")
    await database.upgrade()
    bot_port, playground_port = free_port(), free_port()
    plain = Services(
        db=database,
        captions=TemplateCaptionWriter(),
        # The connect links and LinkedIn's callback: the bot's own server, on loopback.
        public_base_url=f"http://127.0.0.1:{bot_port}",
    )
    services = with_accounts(plain, linkedin=linkedin, bluesky=bluesky)
    turns = Turns()
    async with (
        teams_bot(services, port=bot_port, playground_port=playground_port, turns=turns) as bot,
        outbox_sender(services, bot.messenger),
    ):
        with playground_for(bot_port, tmp_path_factory, port=playground_port) as playground_url:
            async with aiohttp.ClientSession() as session:
                sent = Playground(playground_url, session)
                await sent.start()
                await seed_tenant(services, sent, site)
                await joined(
                    services, sent, networks=["linkedin", "bluesky"], topics=["engineering"]
                )
                profile: Path = tmp_path_factory.mktemp("chromium-profile")
                async with chromium(user_data_dir=profile) as browser:
                    await _route_networks(browser)
                    page = browser.pages[0] if browser.pages else await browser.new_page()
                    for old in SHOTS.glob("*.png"):
                        old.unlink()
                    chat = TeamsChat(page, url=playground_url, screenshots=SHOTS)
                    yield Journey(chat, sent, turns, services, linkedin, bluesky)
                await sent.stop()
    await database.dispose()


@contextlib.asynccontextmanager
async def outbox_sender(services: Services, messenger: Messenger) -> AsyncIterator[None]:
    """The server's outbox sender, working while the journey runs: it tells the chat."""
    limiter = RateLimiter(services.db, rates={"teams": Rate(per_second=50, burst=50)})
    config = SenderConfig(poll_seconds=0.2)
    sender = Sender(services, messengers={"teams": messenger}, limiter=limiter, config=config)
    task = asyncio.create_task(sender.run(), name="journey-outbox")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _route_networks(browser: BrowserContext) -> None:
    """The networks' own pages (a post, a composer) are out of reach: a stand-in answers."""
    body = "<title>Network stand-in</title><p>The network's page.</p>"
    for host in ("www.linkedin.com", "bsky.app"):
        await browser.route(
            f"https://{host}/**",
            lambda route: route.fulfill(status=200, content_type="text/html", body=body),
        )


async def _accounts_in_db(services: Services) -> dict[Network, ConnectedAccount]:
    async with services.db.session() as session:
        rows = (await session.execute(select(ConnectedAccount))).scalars().all()
    return {row.network: row for row in rows}


async def _tracked_link(services: Services, network: Network) -> str:
    async with services.db.session() as session:
        share = (await session.execute(select(Share).where(Share.network == network))).scalar_one()
        link = await session.get_one(Link, share.link_id)
    return services.link_url(link.code)


# ---------------------------------------------------------------- the journey


async def test_01_the_accounts_card_offers_both_networks(journey: Journey) -> None:
    chat = journey.chat
    async with step(journey, "01-accounts") as shown:
        await chat.open()
        card = await journey.accounts_card()
        shown["card"] = card
        text = await _text(card)
        assert en("accounts.not_connected", network="LinkedIn") in text, text
        assert en("accounts.not_connected", network="Bluesky") in text, text
        assert await chat.button_titles(card) == [
            en("accounts.connect", network="LinkedIn"),
            en("accounts.connect", network="Bluesky"),
        ]
    journey.reached.add("accounts")


async def test_02_declining_at_linkedin_connects_nothing(journey: Journey) -> None:
    journey.need("accounts")
    card = journey.accounts
    assert card is not None
    async with step(journey, "02-linkedin-declined") as shown:
        shown["card"] = card
        journey.linkedin.decline = True  # the person presses "Cancel" on LinkedIn's page
        try:
            tab = await journey.opened(card, en("accounts.connect", network="LinkedIn"))
        finally:
            journey.linkedin.decline = False
        said = await tab.inner_text("body")
        await tab.screenshot(path=str(SHOTS / "02-linkedin-declined-page.png"))
        await tab.close()
        assert en("accounts.page.cancelled", network="LinkedIn") in said, said
        assert await _accounts_in_db(journey.services) == {}
        assert not journey.linkedin.issued
        # That link is used up; "accounts" gives a fresh one, as the page says.
        shown["card"] = await journey.accounts_card()


async def test_03_connect_linkedin_goes_to_linkedin_and_back(journey: Journey) -> None:
    journey.need("accounts")
    card = journey.accounts
    assert card is not None
    async with step(journey, "03-connect-linkedin") as shown:
        shown["card"] = card
        tab = await journey.opened(card, en("accounts.connect", network="LinkedIn"))
        await tab.screenshot(path=str(SHOTS / "03-connect-linkedin-page.png"))
        page_text = await tab.inner_text("body")
        assert tab.url.startswith(f"{journey.services.public_base_url}/oauth/linkedin/callback")
        assert en("accounts.page.connected", network="LinkedIn") in page_text, page_text
        await tab.close()
        assert not journey.linkedin.refusals
        account = (await _accounts_in_db(journey.services))[Network.LINKEDIN]
        assert account.external_id == journey.linkedin.member_sub
        # The stored token is sealed: the one LinkedIn issued is not in it.
        [issued] = journey.linkedin.issued
        assert issued.encode() not in account.access_token
        # Back in the chat, the bot has said so: the page as it is now.
        told = await journey.told(en("accounts.now_connected", network="LinkedIn", name=NAME))
        shown["card"] = journey.accounts = told
        assert "LinkedIn: connected as Ann Example, until" in await _text(told)
        assert await journey.chat.button_titles(told) == [
            en("accounts.disconnect", network="LinkedIn"),
            en("accounts.connect", network="Bluesky"),
        ]
    journey.reached.add("linkedin")


async def test_04_a_used_connect_link_says_so(journey: Journey) -> None:
    """The first card's "Connect LinkedIn" was used up: pressed again, it says what to do."""
    journey.need("linkedin")
    chat = journey.chat
    first = chat.cards_with(en("accounts.title")).first
    async with step(journey, "04-used-link") as shown:
        shown["card"] = first
        tab = await journey.opened(first, en("accounts.connect", network="LinkedIn"))
        await tab.screenshot(path=str(SHOTS / "04-used-link-page.png"))
        assert en("accounts.page.stale") in await tab.inner_text("body")
        await tab.close()
        assert len(journey.linkedin.issued) == 1


async def test_05_connect_bluesky_with_a_typo_then_the_app_password(journey: Journey) -> None:
    journey.need("accounts")
    chat, card = journey.chat, journey.accounts
    assert card is not None
    async with step(journey, "05-connect-bluesky") as shown:
        shown["card"] = card
        tab = await journey.opened(card, en("accounts.connect", network="Bluesky"))
        assert en("accounts.bluesky_note") in await tab.inner_text("body")
        # Typed as Bluesky shows it, with the @.
        await tab.get_by_label(en("accounts.form.handle")).fill(f"@{HANDLE}")
        await tab.get_by_label(en("accounts.form.password")).fill(WRONG_PASSWORD)
        await tab.screenshot(path=str(SHOTS / "05-bluesky-form.png"))
        await tab.get_by_role("button", name=en("accounts.form.submit")).click()
        await tab.wait_for_load_state()
        refused = await tab.inner_text("body")
        assert en("accounts.page.refused", network="Bluesky") in refused, refused
        await tab.screenshot(path=str(SHOTS / "05-bluesky-refused.png"))
        # The link still works, the handle is still there: the person corrects the password.
        assert await tab.get_by_label(en("accounts.form.handle")).input_value() == f"@{HANDLE}"
        await tab.get_by_label(en("accounts.form.password")).fill(APP_PASSWORD)
        await tab.get_by_role("button", name=en("accounts.form.submit")).click()
        await tab.wait_for_load_state()
        said = await tab.inner_text("body")
        await tab.screenshot(path=str(SHOTS / "05-bluesky-connected.png"))
        await tab.close()
        assert en("accounts.page.connected", network="Bluesky") in said, said
        assert not journey.bluesky.main_password_tried
        account = (await _accounts_in_db(journey.services))[Network.BLUESKY]
        assert (account.external_id, account.display_name) == (DID, HANDLE)
        told = await journey.told(en("accounts.now_connected", network="Bluesky", name=HANDLE))
        shown["card"] = again = told
        text = await _text(again)
        assert en("accounts.connected", network="Bluesky", name=HANDLE) in text, text
        assert await chat.button_titles(again) == [
            en("accounts.disconnect", network="LinkedIn"),
            en("accounts.disconnect", network="Bluesky"),
        ]
    journey.reached.add("bluesky")


async def test_06_picks_offer_both_networks(journey: Journey) -> None:
    journey.need("linkedin", "bluesky")
    chat = journey.chat
    async with step(journey, "06-picks") as shown:
        share_on = en("picks.share_on", network="LinkedIn")
        shown_picks = await chat.replies(lambda: chat.say("picks"), containing=share_on, count=3)
        # Each card by its item's title, which stays when a press replaces the card's body.
        titles = [(await card.inner_text()).strip().splitlines()[0] for card in shown_picks]
        journey.picks = picks = [chat.cards_with(title).last for title in titles]
        shown["card"] = picks[0]
        for card in picks:
            assert await chat.text_boxes(card).count() == 1
            assert await chat.button(card, en("picks.share_on", network="Bluesky")).count() == 1
    journey.reached.add("picks")


async def test_07_a_caption_typed_in_the_card_reaches_the_linkedin_panel(
    journey: Journey,
) -> None:
    journey.need("picks")
    chat, card = journey.chat, journey.picks[0]
    async with step(journey, "07-linkedin-panel") as shown:
        shown["card"] = card
        await chat.text_boxes(card).fill(LINKEDIN_WORDS)
        panel = await chat.reply(
            lambda: chat.press(card, en("picks.share_on", network="LinkedIn")),
            containing=en("share.post_now", network="LinkedIn"),
        )
        shown["card"] = journey.panels[Network.LINKEDIN] = panel
        assert LINKEDIN_WORDS in await panel.inner_text()
        assert await chat.button_titles(panel) == [
            en("share.post_now", network="LinkedIn"),
            en("share.post_later"),
            en("share.open", network="LinkedIn"),
            en("share.confirm"),
        ]
    journey.reached.add("linkedin-panel")


async def test_08_post_to_linkedin_now_posts_exactly_that_text(journey: Journey) -> None:
    journey.need("linkedin-panel")
    chat, panel = journey.chat, journey.panels[Network.LINKEDIN]
    async with step(journey, "08-linkedin-posted") as shown:
        view = en("share.view_post", network="LinkedIn")
        posted = await chat.reply(
            lambda: chat.press(panel, en("share.post_now", network="LinkedIn")), containing=view
        )
        shown["card"] = posted
        [post] = journey.linkedin.posts
        assert post["text"] == LINKEDIN_WORDS
        link = await _tracked_link(journey.services, Network.LINKEDIN)
        assert post["content"]["article"]["source"] == link
        assert post["content"]["article"]["title"].endswith("at Contoso")
        text = await _text(posted)
        assert en("share.posted_now", network="LinkedIn", caption=LINKEDIN_WORDS) in text, text
        url = await chat.link_of(posted, view)
        assert url == f"https://www.linkedin.com/feed/update/{post['id']}/"
        tab = await journey.opened(posted, view)
        assert tab.url == url
        await tab.close()
    journey.reached.add("linkedin-posted")


async def test_09_a_second_press_of_post_now_posts_nothing_more(journey: Journey) -> None:
    """The panel is replaced by the answer, so the second press of a double click (sent
    before the card changed) arrives for the panel: it answers with the post, once."""
    journey.need("linkedin-posted")
    chat, sent = journey.chat, journey.sent
    label = en("share.post_now", network="LinkedIn")
    panel = next(s for s in reversed(sent.shown) if label in s.dump and s.cards)
    [data] = [
        e["data"]
        for card in panel.cards
        for e in elements(card)
        if e.get("type") == "Action.Submit" and e.get("title") == label
    ]
    async with step(journey, "09-linkedin-again") as shown:
        again = await chat.reply(
            lambda: sent.press(panel, data),
            containing=en("share.already_posted", network="LinkedIn"),
        )
        shown["card"] = again
        assert len(journey.linkedin.posts) == 1
        assert journey.linkedin.post_attempts == 1
        # The answer replaced the first one's card: the item and Bluesky are still on it.
        assert await chat.button(again, en("picks.share_on", network="Bluesky")).count() == 1


async def test_10_bluesky_planned_for_nine_then_cancelled(journey: Journey) -> None:
    journey.need("picks")
    chat, card = journey.chat, journey.picks[1]
    async with step(journey, "10-bluesky-later") as shown:
        shown["card"] = card
        await chat.text_boxes(card).fill(BLUESKY_WORDS)
        panel = await chat.reply(
            lambda: chat.press(card, en("picks.share_on", network="Bluesky")),
            containing=en("share.post_now", network="Bluesky"),
        )
        shown["card"] = panel
        assert BLUESKY_WORDS in await panel.inner_text()
        planned = await chat.reply(
            lambda: chat.press(panel, en("share.post_later")),
            containing=en("share.post_later.cancel"),
        )
        shown["card"] = planned
        assert "09:00" in await _text(planned)
        back = await chat.reply(
            lambda: chat.press(planned, en("share.post_later.cancel")),
            containing=en("share.post_later.cancelled", network="Bluesky"),
        )
        shown["card"] = journey.panels[Network.BLUESKY] = back
        assert BLUESKY_WORDS in await back.inner_text()
        assert not journey.bluesky.posts
    journey.reached.add("bluesky-panel")


async def test_11_post_to_bluesky_now_posts_the_text_facet_and_card(journey: Journey) -> None:
    journey.need("bluesky-panel")
    chat, panel = journey.chat, journey.panels[Network.BLUESKY]
    async with step(journey, "11-bluesky-posted") as shown:
        view = en("share.view_post", network="Bluesky")
        posted = await chat.reply(
            lambda: chat.press(panel, en("share.post_now", network="Bluesky")), containing=view
        )
        shown["card"] = posted
        [post] = journey.bluesky.posts
        link = await _tracked_link(journey.services, Network.BLUESKY)
        assert post["text"] == f"{BLUESKY_WORDS} {link}"
        links = [
            f["uri"]
            for facet in post["facets"]
            for f in facet["features"]
            if f["$type"] == "app.bsky.richtext.facet#link"
        ]
        assert links == [link]
        assert post["embed"]["external"]["uri"] == link
        said = en("share.posted_now", network="Bluesky", caption=BLUESKY_WORDS)
        assert said in await _text(posted)
        rkey = post["uri"].rsplit("/", 1)[1]
        url = await chat.link_of(posted, view)
        assert url == f"https://bsky.app/profile/{HANDLE}/post/{rkey}"
        tab = await journey.opened(posted, view)
        assert tab.url == url
        await tab.close()
    journey.reached.add("bluesky-posted")


async def test_12_an_expired_linkedin_connection_asks_to_connect_again_keeping_the_caption(
    journey: Journey,
) -> None:
    """LinkedIn revoked the token: the answer says so, keeps the caption and "Post to
    LinkedIn now", and offers the connect link; once connected again, that press posts."""
    journey.need("linkedin-posted")
    chat, card = journey.chat, journey.picks[2]
    post_now = en("share.post_now", network="LinkedIn")
    async with step(journey, "12-linkedin-reconnect") as shown:
        shown["card"] = card
        await chat.text_boxes(card).fill(AGAIN_WORDS)
        panel = await chat.reply(
            lambda: chat.press(card, en("picks.share_on", network="LinkedIn")),
            containing=post_now,
        )
        journey.linkedin.revoke_all()
        prompt = await chat.reply(
            lambda: chat.press(panel, post_now),
            containing=en("accounts.reconnect", network="LinkedIn"),
        )
        shown["card"] = prompt
        assert AGAIN_WORDS in await prompt.inner_text()
        assert len(journey.linkedin.posts) == 1
        told = chat.cards_with(en("accounts.now_connected", network="LinkedIn", name=NAME))
        before = await told.count()
        tab = await journey.opened(prompt, en("accounts.connect", network="LinkedIn"))
        assert en("accounts.page.connected", network="LinkedIn") in await tab.inner_text("body")
        await tab.close()
        await told.nth(before).wait_for()
        posted = await chat.reply(
            lambda: chat.press(prompt, post_now),
            containing=en("share.view_post", network="LinkedIn"),
        )
        shown["card"] = posted
        assert [p["text"] for p in journey.linkedin.posts] == [LINKEDIN_WORDS, AGAIN_WORDS]


async def test_13_disconnect_each_deletes_its_tokens(journey: Journey) -> None:
    journey.need("linkedin", "bluesky")
    chat = journey.chat
    async with step(journey, "13-disconnect") as shown:
        card = await journey.accounts_card()
        shown["card"] = card
        for network, label in ((Network.LINKEDIN, "LinkedIn"), (Network.BLUESKY, "Bluesky")):
            press = functools.partial(chat.press, card, en("accounts.disconnect", network=label))
            said = await chat.reply(press, containing=en("accounts.disconnected", network=label))
            shown["card"] = card = said
            assert network not in await _accounts_in_db(journey.services)
            assert en("accounts.not_connected", network=label) in await _text(said)
        assert await _accounts_in_db(journey.services) == {}
        assert await chat.button_titles(card) == [
            en("accounts.connect", network="LinkedIn"),
            en("accounts.connect", network="Bluesky"),
        ]
    journey.reached.add("disconnected")


async def test_14_a_disconnect_pressed_twice_says_it_was_not_connected(journey: Journey) -> None:
    journey.need("disconnected")
    chat = journey.chat
    older = chat.cards_with(en("accounts.disconnect", network="LinkedIn")).last
    async with step(journey, "14-disconnect-again") as shown:
        said = await chat.reply(
            lambda: chat.press(older, en("accounts.disconnect", network="LinkedIn")),
            containing=en("accounts.was_not_connected", network="LinkedIn"),
        )
        shown["card"] = said


async def test_15_forget_me_leaves_no_token_and_no_id_in_any_table(journey: Journey) -> None:
    journey.need("disconnected")
    chat = journey.chat
    async with step(journey, "15-forget-me") as shown:
        # Connected again first, so that there are tokens for the erasure to remove. The
        # page that step 14's disconnect drew has the only live link: a disconnect revokes
        # the connect links of every older page.
        card = chat.cards_with(en("accounts.was_not_connected", network="LinkedIn")).last
        tab = await journey.opened(card, en("accounts.connect", network="LinkedIn"))
        assert en("accounts.page.connected", network="LinkedIn") in await tab.inner_text("body")
        await tab.close()
        assert Network.LINKEDIN in await _accounts_in_db(journey.services)
        await journey.told(en("accounts.now_connected", network="LinkedIn", name=NAME))
        needles = _needles(journey)
        before = {needle for _, _, needle in await _found_anywhere(journey.services, needles)}
        # The scan sees what it looks for (tokens are only stored sealed, so never seen).
        assert {journey.sent.user["aadObjectId"], LINKEDIN_WORDS, BLUESKY_WORDS} <= before
        confirm = await chat.reply(
            lambda: chat.say("forget-me"), containing=en("privacy.forget.yes")
        )
        shown["card"] = confirm
        await journey.turn(lambda: chat.press(confirm, en("privacy.forget.yes")))
        shown["card"] = chat.cards.last
        async with journey.services.db.session() as session:
            assert (await session.execute(select(ConnectedAccount))).first() is None
            assert (await session.execute(select(ConnectState))).first() is None
        found = await _found_anywhere(journey.services, needles)
        assert found == [], found


def _needles(journey: Journey) -> list[str]:
    """The person's ids on Teams and on both networks, their words, and every token issued."""
    user = journey.sent.user
    return [
        str(user["id"]),
        str(user["aadObjectId"]),
        journey.linkedin.member_sub,
        journey.linkedin.member_name,
        HANDLE,
        DID,
        LINKEDIN_WORDS,
        BLUESKY_WORDS,
        AGAIN_WORDS,
        *journey.linkedin.issued,
        *journey.bluesky.issued,
    ]


async def _found_anywhere(services: Services, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every needle in any column of any row."""
    found = []
    async with services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings().all():
                for column, value in row.items():
                    shown = _as_text(value)
                    found += [(table.name, column, n) for n in needles if n and n in shown]
    return found


def _as_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)
