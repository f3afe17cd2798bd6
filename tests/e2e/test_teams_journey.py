"""A newcomer's journey through the Teams bot in Microsoft 365 Agents Playground, in chromium.

The steps run in order in one browser, as one person: welcome, "I'm in", picks, a rewritten
caption, a share, the tracked link, "I've posted it", prefs, my-data, the content team's `add`
and `stats`, and one turn in Dutch. Each step fails on any error the client shows (chat, Log
Panel, console, page errors) and saves a screenshot in var/screenshots/teams/ for a reviewer.
Known defects of issue 14 are steps of their own, marked xfail(strict=True) with the item's
number, so the journey goes on past them and each fix turns its step green (then remove the
mark). Run the whole module: a step needs the ones before it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from playwright.async_api import BrowserContext, Locator

from captions import TemplateCaptionWriter
from content_store.database import Database
from domain.networks import NETWORK_RULES, Network
from handlers.context import Services
from links.fetcher import FetchPolicy
from messages import catalog, translate
from tests.bot.teams.fake_connector import free_port
from tests.bot.teams.playground import Playground, Shown
from tests.e2e.conftest import (
    SCREENSHOTS,
    Site,
    Turns,
    playground_for,
    seed_tenant,
    teams_bot,
)
from tests.e2e.teams_browser import TeamsChat, chromium, chromium_or_skip

# The steps of one journey in one browser, in order: `make test` runs them apart from
# pytest-xdist, which keeps neither the order nor the module's fixtures.
pytestmark = pytest.mark.serial

NETWORKS = ("LinkedIn", "X")
TOPICS = ("#product", "#engineering")
# Longer than the 256 characters the caption box took (issue 14 item 4), well within LinkedIn.
LONG_CAPTION = ("Proud of what my team shipped this week, in my own words. " * 12).strip()
ADDED = "green-office"


def en(key: str, **params: Any) -> str:
    return translate(key, "en", **params)


def en_start(key: str) -> str:
    """The English text of `key` up to its first placeholder."""
    return catalog("en")[key][-1].split("{")[0].strip()


@dataclass
class Journey:
    """The newcomer's browser, what the bot sent, and what earlier steps left for later ones."""

    chat: TeamsChat
    sent: Playground
    turns: Turns
    services: Services
    site: Site
    reached: set[str] = field(default_factory=set)
    picks: list[Locator] = field(default_factory=list)
    caption: str = ""
    title: str = ""
    shared: Locator | None = None
    preview: Locator | None = None

    def need(self, *steps: str) -> None:
        """Skip unless the earlier steps this one builds on got that far."""
        missing = [name for name in steps if name not in self.reached]
        if missing:
            pytest.skip(f"needs the earlier steps {missing} (run the whole module)")

    async def turn(self, act: Any) -> list[Shown]:
        """Do `act` (a coroutine function) and wait until the bot's turn has ended; what it
        sent, once the browser shows as many cards as were sent."""
        mark, turns = self.sent.mark(), self.turns.started
        shown_before = await self.chat.cards.count()
        await act()
        await self.turns.settled(after=turns)
        sent = self.sent.since(mark)
        created = sum(1 for s in sent if s.action == "createMessage" and s.cards)
        if created:
            await self.chat.cards.nth(shown_before + created - 1).wait_for()
        return sent


@dataclass
class Step:
    """What a step's screenshot should show."""

    show: Locator | None = None


@contextlib.asynccontextmanager
async def step(journey: Journey, name: str) -> AsyncIterator[Step]:
    """One step: a screenshot at its end (also when it fails), then no client errors."""
    current = Step()
    try:
        yield current
    finally:
        await journey.chat.screenshot(name, show=current.show)
        errors = await journey.chat.new_errors()
    assert not errors, f"the client shows errors after step {name}: {errors}"


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
async def journey_services(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Services, int]]:
    """A migrated SQLite database of its own, and tracked links on the bot's real address."""
    path = tmp_path_factory.mktemp("journey") / "journey.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.upgrade()
    port = free_port()
    services = Services(
        db=database,
        captions=TemplateCaptionWriter(),
        public_base_url=f"http://127.0.0.1:{port}",
        # As FETCH_ALLOW_LOOPBACK=true: the content team adds pages of the local site.
        fetch_policy=FetchPolicy(allow_loopback=True, timeout_seconds=5.0),
    )
    yield services, port
    await database.dispose()


@pytest.fixture(scope="module")
async def journey(
    journey_services: tuple[Services, int],
    site: Site,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Journey]:
    chromium_or_skip()  # before starting anything else
    services, bot_port = journey_services
    turns = Turns()
    playground_port = free_port()
    async with teams_bot(services, port=bot_port, playground_port=playground_port, turns=turns):
        with playground_for(bot_port, tmp_path_factory, port=playground_port) as playground_url:
            async with aiohttp.ClientSession() as session:
                sent = Playground(playground_url, session)
                await sent.start()
                await seed_tenant(services, sent, site)
                profile: Path = tmp_path_factory.mktemp("chromium-profile")
                async with chromium(user_data_dir=profile) as browser:
                    await _route_networks(browser)
                    page = browser.pages[0] if browser.pages else await browser.new_page()
                    _clear_screenshots()
                    chat = TeamsChat(page, url=playground_url, screenshots=SCREENSHOTS)
                    yield Journey(chat, sent, turns, services, site)
                await sent.stop()


async def _route_networks(browser: BrowserContext) -> None:
    """The networks' share pages are out of reach here: a stand-in page answers for them."""
    body = "<title>Network stand-in</title><p>The network's share page.</p>"
    for host in ("www.linkedin.com", "x.com", "twitter.com", "bsky.app", "www.facebook.com"):
        await browser.route(
            f"https://{host}/**",
            lambda route: route.fulfill(status=200, content_type="text/html", body=body),
        )


def _clear_screenshots() -> None:
    """Only this run's screenshots, so a reviewer never looks at an old one."""
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()


# ---------------------------------------------------------------- the journey


async def test_01_opening_the_chat_shows_the_welcome(journey: Journey) -> None:
    chat = journey.chat
    async with step(journey, "01-welcome") as shown:
        await chat.open()
        welcome = chat.cards_with(en("welcome.in")).last
        await welcome.wait_for()
        shown.show = welcome
        titles = await chat.button_titles(welcome)
        assert titles == [en("welcome.in"), en("welcome.later"), en("welcome.no")]
        # The Log Panel is where the checks look for errors: it must be found.
        assert await chat.log_lines()
    journey.reached.add("welcome")


async def test_02_im_in_saves_networks_and_topics_with_one_save(journey: Journey) -> None:
    journey.need("welcome")
    chat = journey.chat
    async with step(journey, "02-im-in") as shown:
        welcome = chat.cards_with(en("welcome.in")).last
        choose = await chat.reply(
            lambda: chat.press(welcome, en("welcome.in")), containing=en("prefs.networks")
        )
        shown.show = choose
        await chat.tick(choose, *NETWORKS, *TOPICS)
        saves = chat.button(choose, en("prefs.save"))
        save_count = await saves.count()
        await journey.turn(lambda: saves.last.click())
        journey.reached.add("joined")
        saved = chat.cards.last
        shown.show = saved
        text = await saved.inner_text()
        assert all(topic in text for topic in TOPICS), text
        assert en("prefs.networks.saved", networks=", ".join(NETWORKS)) in text
        assert save_count == 1, f"{save_count} Save buttons on one card"


async def test_03_picks_are_three_cards_with_picture_caption_and_share_buttons(
    journey: Journey,
) -> None:
    journey.need("joined")
    chat = journey.chat
    async with step(journey, "03-picks") as shown:
        share_on = en("picks.share_on", network="LinkedIn")
        picks = await chat.replies(lambda: chat.say("picks"), containing=share_on, count=3)
        journey.picks = picks
        shown.show = picks[0]
        for card in picks:
            assert await chat.text_boxes(card).count() == 1
            assert await chat.button(card, share_on).count() == 1
            picture = card.locator("img")
            await picture.first.wait_for()
            assert await picture.first.evaluate("(img) => img.complete && img.naturalWidth > 0")
    journey.reached.add("picks")


async def test_04_picks_offer_only_the_networks_ticked(journey: Journey) -> None:
    journey.need("picks")
    chat = journey.chat
    async with step(journey, "04-picks-networks") as shown:
        shown.show = journey.picks[0]
        shares = [
            title
            for title in await chat.button_titles(journey.picks[0])
            if title.startswith(en("picks.share_on", network="").strip())
        ]
        assert shares == [en("picks.share_on", network=name) for name in NETWORKS]


async def test_05_a_long_rewritten_caption_is_kept_whole(journey: Journey) -> None:
    journey.need("picks")
    chat = journey.chat
    async with step(journey, "05-caption") as shown:
        card = journey.picks[0]
        shown.show = card
        box = chat.text_boxes(card)
        await box.fill(LONG_CAPTION)
        journey.caption = await box.input_value()
        journey.reached.add("caption")
        assert len(LONG_CAPTION) < NETWORK_RULES[Network.LINKEDIN].max_chars
        assert journey.caption == LONG_CAPTION, f"kept {len(journey.caption)} characters"


async def test_06_share_on_linkedin_shows_the_caption_and_the_tracked_link(
    journey: Journey,
) -> None:
    journey.need("caption")
    chat = journey.chat
    async with step(journey, "06-share") as shown:
        card = journey.picks[0]
        journey.title = (await card.inner_text()).strip().splitlines()[0]
        ready = await chat.reply(
            lambda: chat.press(card, en("picks.share_on", network="LinkedIn")),
            containing=en("share.confirm"),
        )
        journey.shared = ready
        shown.show = ready
        text = " ".join((await ready.inner_text()).split())
        assert " ".join(journey.caption.split()) in text
        opens = await chat.link_of(ready, en("share.open", network="LinkedIn"))
        tracked = parse_qs(urlsplit(opens).query)["url"][0]
        assert tracked.startswith(f"{journey.services.public_base_url}/r/")
    journey.reached.add("shared")


async def test_07_the_tracked_link_opens_the_article(journey: Journey) -> None:
    journey.need("shared")
    chat, ready = journey.chat, journey.shared
    assert ready is not None
    async with step(journey, "07-tracked-link") as shown:
        shown.show = ready
        async with chat.page.context.expect_page() as opened:
            await chat.press(ready, en("share.open", network="LinkedIn"))
        network = await opened.value
        await network.wait_for_load_state()
        tracked = parse_qs(urlsplit(network.url).query)["url"][0]
        # What a colleague does who clicks the link in the post.
        async with (
            aiohttp.ClientSession() as session,
            session.get(tracked, allow_redirects=False) as response,
        ):
            assert response.status in (302, 303, 307), response.status
            assert response.headers["Location"].startswith(journey.site.page(""))
        await network.goto(tracked)
        assert network.url.startswith(journey.site.page(""))
        assert "at Contoso" in await network.title()
        await network.screenshot(path=str(SCREENSHOTS / "07-tracked-link-article.png"))
        await network.close()
    journey.reached.add("clicked")


async def test_08_ive_posted_it_keeps_the_item_and_what_is_left_to_do(journey: Journey) -> None:
    journey.need("shared")
    chat, ready = journey.chat, journey.shared
    assert ready is not None
    async with step(journey, "08-posted") as shown:
        done = await chat.reply(
            lambda: chat.press(ready, en("share.confirm")),
            containing=en("share.confirmed", networks="LinkedIn"),
        )
        journey.reached.add("confirmed")
        shown.show = done
        text = await done.inner_text()
        assert journey.title in text, (journey.title, text)
        assert await chat.button(done, en("picks.share_on", network="X")).count() == 1


async def test_09_prefs_is_one_message(journey: Journey) -> None:
    journey.need("joined")
    chat = journey.chat
    async with step(journey, "09-prefs") as shown:
        sent = await journey.turn(lambda: chat.say("prefs"))
        journey.reached.add("prefs")
        prefs = chat.cards_with(en("prefs.topics")).last
        shown.show = prefs
        created = [s for s in sent if s.action == "createMessage"]
        assert len(created) == 1, [s.text or s.dump[:80] for s in created]


async def test_10_prefs_has_one_save_for_every_choice(journey: Journey) -> None:
    journey.need("prefs")
    chat = journey.chat
    async with step(journey, "10-prefs-save") as shown:
        prefs = chat.cards_with(en("prefs.topics")).last
        shown.show = prefs
        assert await chat.button(prefs, en("prefs.save")).count() == 1


async def test_11_my_data_arrives_as_a_file(journey: Journey) -> None:
    """The file must reach the person the way Teams delivers files: here checked as a link
    button that downloads the JSON (a file consent card would need this step adapted)."""
    journey.need("joined")
    chat = journey.chat
    async with step(journey, "11-my-data") as shown:
        await journey.turn(lambda: chat.say("my-data"))
        reply = chat.cards_with(en("privacy.export.ready")).last
        shown.show = reply
        links = reply.locator("button[role=link]")
        urls = [str(await links.nth(n).get_attribute("title")) for n in range(await links.count())]
        files = [await _download(url) for url in urls]
        assert any("linkedin" in json.dumps(found).lower() for found in files), urls


async def _download(url: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.json(content_type=None) if response.status == 200 else None


async def test_12_add_previews_a_page_of_the_company_site(journey: Journey) -> None:
    journey.need("welcome")
    chat = journey.chat
    async with step(journey, "12-add-preview") as shown:
        page = journey.site.page(ADDED)
        preview = await chat.reply(lambda: chat.say(f"add {page} #sustainability"), containing=page)
        journey.preview = preview
        shown.show = preview
        text = await preview.inner_text()
        assert "Green office at Contoso" in text
        assert await chat.button(preview, en("content.preview.save")).count() == 1
    journey.reached.add("preview")


async def test_13_add_preview_shows_the_picture_and_can_be_cancelled(journey: Journey) -> None:
    journey.need("preview")
    chat, preview = journey.chat, journey.preview
    assert preview is not None
    async with step(journey, "13-add-preview-details") as shown:
        shown.show = preview
        text = await preview.inner_text()
        assert await preview.locator(f'img[src="{journey.site.image(ADDED)}"]').count() == 1
        assert "—" not in text, text
        titles = await chat.button_titles(preview)
        assert any("cancel" in title.lower() for title in titles), titles


async def test_14_add_saves_the_item(journey: Journey) -> None:
    journey.need("preview")
    chat, preview = journey.chat, journey.preview
    assert preview is not None
    async with step(journey, "14-add-saved") as shown:
        saved = await chat.reply(
            lambda: chat.press(preview, en("content.preview.save")),
            containing=en_start("content.added"),
        )
        shown.show = saved
        assert "Green office at Contoso" in await saved.inner_text()


async def test_15_stats_count_the_share_and_the_click(journey: Journey) -> None:
    journey.need("clicked")
    chat = journey.chat
    async with step(journey, "15-stats") as shown:
        await journey.turn(lambda: chat.say("stats"))
        stats = chat.cards_with("Clicks on shared links").last
        shown.show = stats
        text = await stats.inner_text()
        assert "People taking part: 1" in text, text
        assert "Clicks on shared links: 1" in text, text


async def test_16_a_dutch_colleague_gets_dutch_answers(journey: Journey) -> None:
    journey.need("welcome")
    chat, sent = journey.chat, journey.sent
    async with step(journey, "16-dutch") as shown:
        dutch = translate("help.title", "nl")

        async def in_dutch() -> None:
            await sent.custom(
                sent.personal_chat,
                {
                    "type": "message",
                    "text": "help",
                    "textFormat": "plain",
                    "locale": "nl-NL",
                },
            )

        answer = await chat.reply(in_dutch, containing=dutch)
        shown.show = answer
        assert en("help.title") not in await answer.inner_text()


async def test_17_an_attachment_the_client_refuses_is_caught(journey: Journey) -> None:
    """The error checks of every step can fail: a file the Playground cannot show, sent
    past the bot, is seen in the chat and in the Log Panel."""
    chat, sent = journey.chat, journey.sent
    refused = {"contentType": "application/x-refused", "contentUrl": "data:,x", "name": "x"}
    await sent.from_bot(sent.personal_chat, {"attachments": [refused]})
    shown = chat.page.get_by_text("application/x-refused is not supported yet")
    await shown.last.wait_for()
    await chat.log_entry("application/x-refused")
    await chat.screenshot("17-refused", show=shown.last)
    errors = await chat.new_errors()
    assert [e for e in errors if e.startswith("shown:")], errors
    assert [e for e in errors if e.startswith("log panel:")], errors
