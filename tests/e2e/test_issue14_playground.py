"""Issue 14's defects, one focused test each, through the Playground's HTTP API.

Each test acts as the Playground's web client does (buttons by title, every input of the card
submitted with them) and is marked xfail(strict=True) with the item's number until its fix:
then it passes, pytest reports XPASS as a failure, and the mark goes. The browser journey
(test_teams_journey.py) shows the same defects as a person meets them. These run on SQLite
only: they are about what Teams shows, which the database does not change.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlalchemy import select

from content_store.models import Person
from content_store.people import person_topics
from domain.networks import Network, caption_budget
from handlers.context import Services
from messages import translate
from tests.bot.teams.fake_connector import free_port
from tests.bot.teams.playground import Playground, Shown
from tests.e2e.conftest import Site, Turns, joined, playground_for, seed_tenant, teams_bot
from tests.e2e.playground_chat import (
    Chat,
    chosen,
    created,
    elements,
    latest,
    text_of,
    titles,
    walk,
)

# Under pytest-xdist every test that starts Microsoft's Playground (a Node process) or Chromium
# runs on one worker, one at a time: they would compete for the cores their timeouts assume.
pytestmark = [
    pytest.mark.parametrize("db", ["sqlite"], indirect=True),
    pytest.mark.xdist_group("playground"),
]
BOT_PORT = free_port()
CARD = "application/vnd.microsoft.card.adaptive"
# What Teams itself shows of a file a bot sends to a personal chat (its file consent flow).
TEAMS_FILE_CARDS = {
    "application/vnd.microsoft.teams.card.file.consent",
    "application/vnd.microsoft.teams.card.file.info",
}


def en(key: str, **params: object) -> str:
    return translate(key, "en", **params)


@pytest.fixture(scope="module")
def playground_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with playground_for(BOT_PORT, tmp_path_factory, port=free_port()) as url:
        yield url


@pytest.fixture
async def chat(services: Services, playground_url: str, site: Site) -> AsyncIterator[Chat]:
    turns = Turns()
    playground_port = urlsplit(playground_url).port or 0
    async with (
        teams_bot(services, port=BOT_PORT, playground_port=playground_port, turns=turns),
        aiohttp.ClientSession() as http,
    ):
        playground = Playground(playground_url, http)
        await playground.start()
        await seed_tenant(services, playground, site)
        yield Chat(playground, turns)
        await playground.stop()


async def taking_part(chat: Chat, services: Services, *networks: Network) -> None:
    await joined(
        services,
        chat.playground,
        networks=[network.value for network in networks],
        topics=["product", "engineering"],
    )


def pick_cards(shown: list[Shown]) -> list[Shown]:
    return [s for s in created(shown) if elements(s, "Input.Text")]


def item_title(pick: Shown) -> str:
    """A pick card's first line: the item's title."""
    return str(next(e["text"] for e in walk(pick.cards) if e["type"] == "TextRun"))


async def person(services: Services, chat: Chat) -> Person:
    async with services.db.session() as session:
        query = select(Person).filter_by(external_id=chat.playground.user["aadObjectId"])
        return (await session.execute(query)).scalar_one()


async def test_item01_my_data_and_exports_arrive_as_files_teams_shows(
    chat: Chat, services: Services
) -> None:
    await taking_part(chat, services, Network.LINKEDIN)
    for command in ("my-data", "export items"):
        answer = await chat.say(command)
        attachments = [a for s in answer for a in s.attachments]
        kinds = {str(a.get("contentType")) for a in attachments}
        assert not [a for a in attachments if str(a.get("contentUrl", "")).startswith("data:")]
        assert kinds <= {CARD, *TEAMS_FILE_CARDS}, (command, kinds)
        # The answer offers its file: a file consent card, or a button with a download link.
        links = [e for s in answer for e in elements(s, "Action.OpenUrl")]
        assert links or kinds & TEAMS_FILE_CARDS, command


async def test_item02_one_save_keeps_the_networks_and_topics_ticked(
    chat: Chat, services: Services
) -> None:
    welcome = latest(await chat.install(), en("welcome.in"))
    shown = await chat.click(
        welcome, en("welcome.in"), until=lambda s: latest(s, en("prefs.networks"))
    )
    choose = latest(shown, en("prefs.networks"))
    ticked = chosen(choose, {"LinkedIn", "X", "#product", "#engineering"})
    await chat.click(choose, en("prefs.save"), ticked, last=True)
    found = await person(services, chat)
    async with services.db.session() as session:
        topics, _ = await person_topics(session, person_id=found.id)
    assert topics == {"product", "engineering"}
    assert sorted(found.networks) == ["linkedin", "x"]


async def test_item02_prefs_is_one_card_with_one_save(chat: Chat, services: Services) -> None:
    await taking_part(chat, services, Network.LINKEDIN)
    prefs = latest(await chat.say("prefs"), en("prefs.networks"))
    assert titles(prefs).count(en("prefs.save")) == 1, titles(prefs)


async def test_item04_the_caption_box_takes_the_networks_limit_and_says_it(
    chat: Chat, services: Services
) -> None:
    # X allows 256 characters with a link, LinkedIn over 2,900: the LinkedIn post gets the
    # caption the person writes, X's limit is for the X post.
    await taking_part(chat, services, Network.LINKEDIN, Network.X)
    pick = pick_cards(await chat.say("picks", until=lambda s: len(pick_cards(s)) >= 3))[0]
    box = max(elements(pick, "Input.Text"), key=lambda e: int(e.get("maxLength") or 10**6))
    budget = caption_budget(Network.LINKEDIN, services.link_url("A" * 12))
    assert box.get("isMultiline") is True
    assert int(box.get("maxLength") or budget) >= budget, box
    # The limit is said, e.g. "up to 2,958 characters", in any digit grouping.
    said = " ".join((text_of(pick), str(box.get("label", "")), str(box.get("placeholder", ""))))
    digits = re.sub(r"(?<=\d)[,.\s\u00a0\u202f](?=\d{3})", "", said)
    assert str(box.get("maxLength", budget)) in digits, said


async def test_item05_ive_posted_it_keeps_the_item_and_the_other_networks(
    chat: Chat, services: Services
) -> None:
    await taking_part(chat, services, Network.LINKEDIN, Network.X)
    pick = pick_cards(await chat.say("picks", until=lambda s: len(pick_cards(s)) >= 3))[0]
    title = item_title(pick)
    (box,) = elements(pick, "Input.Text")
    share = en("picks.share_on", network="LinkedIn")
    ready = latest(
        await chat.click(pick, share, {str(box["id"]): "In my own words."}), en("share.confirm")
    )
    done = latest(
        await chat.click(ready, en("share.confirm")), en("share.confirmed", networks="LinkedIn")
    )
    assert done.message_id == pick.message_id
    assert title in text_of(done)
    assert en("picks.share_on", network="X") in titles(done)


async def test_item06_asking_for_help_without_a_manager_promises_nothing_false(
    chat: Chat, services: Services
) -> None:
    await taking_part(chat, services, Network.LINKEDIN)
    assert (await person(services, chat)).manager_id is None
    tips = latest(await chat.say("tips"), en("tips.manager.button"))
    answer = await chat.click(tips, en("tips.manager.button"))
    said = "\n".join(text_of(s) for s in answer)
    assert said.strip()
    assert en("tips.manager.done") not in said


async def test_item07_rejoining_shows_the_saved_topics_ticked(
    chat: Chat, services: Services
) -> None:
    await taking_part(chat, services, Network.LINKEDIN)
    await chat.say("stop")
    card = latest(await chat.say("in"), en("prefs.topics"))
    (topics,) = [c for c in elements(card, "Input.ChoiceSet") if c["label"] == en("prefs.topics")]
    assert set(str(topics.get("value", "")).split(",")) == {"product", "engineering"}


async def test_item08_the_weeks_picks_reach_a_team_channel(chat: Chat, services: Services) -> None:
    """An admin says 'channel here' in the team's channel; the week's picks go there."""
    await taking_part(chat, services, Network.LINKEDIN)
    general = _general_channel(chat.playground)
    # Installing in a channel shows nothing; the turn's end is enough.
    await chat.turn(lambda: chat.playground.install(general), until=lambda _: True)
    # The Playground's chat box posts to a channel only with an @mention; its activity
    # template carries the channel as Teams does.
    answer = await chat.turn(
        lambda: chat.playground.custom(
            general,
            {
                "type": "message",
                "text": "channel here",
                "channelData": {"channel": {"id": general, "name": "General"}},
            },
        ),
        until=lambda shown: created(shown),
    )
    said = "".join(s.dump for s in answer)
    assert "posted to #General" in said, said
    posted = await chat.say("send-now", until=lambda s: [m for m in created(s, en("channel.mine"))])
    assert {m.conversation_id for m in created(posted, en("channel.mine"))} == {general}


def _general_channel(playground: Playground) -> str:
    for team in playground.config.get("teams", []):
        for channel in team.get("channels", []):
            if channel.get("name") == "General":
                return str(channel["id"])
    raise AssertionError(f"no General channel in {playground.config}")


async def test_item10_the_add_preview_shows_the_picture_and_can_be_cancelled(
    chat: Chat, services: Services, site: Site
) -> None:
    page = site.page("green-office")
    preview = latest(await chat.say(f"add {page} #product"), page)
    images = [str(e["url"]) for e in elements(preview, "Image")]
    assert site.image("green-office") in images, images
    assert "—" not in text_of(preview), text_of(preview)
    assert any("cancel" in title.lower() for title in titles(preview)), titles(preview)


async def test_item10_prefs_is_one_message(chat: Chat, services: Services) -> None:
    await taking_part(chat, services, Network.LINKEDIN)
    pick_cards(await chat.say("picks", until=lambda s: len(pick_cards(s)) >= 3))
    shown = await chat.say("prefs")
    assert len(created(shown)) == 1, [text_of(s)[:60] for s in created(shown)]
