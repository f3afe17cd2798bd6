"""The Slack app end to end: people using it through signed requests over HTTP, strict Slack."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from content_store.models import Event, Person, Share
from domain.programme import Role
from handlers.context import Services
from messages import translate
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signed import (
    SECRET,
    client,
    event,
    headers,
    listeners_done,
    post,
    press,
    slack,
    slash,
    until,
)
from tests.bot.slack.world import SlackWorld
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, add_item, grant

# Other suites (faults, security) build on these.
__all__ = ["SECRET", "client", "press", "slack", "slash", "until"]


def _en(key: str, **params: Any) -> str:
    return translate(key, "en", **params)


async def test_full_journey_from_welcome_to_confirmed_share(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    for n in range(4):
        await add_item(services.db, slug=f"launch-{n}", topics=("product",), now=clock.now())
    ann = world.person("U1", name="ann")

    opened = await ann.open_home()
    assert "voluntary" in ann.dm().visible_text()
    assert ann.home().has(_en("welcome.in"))
    assert opened.kinds() == ["home", "message"]

    joined = (await ann.press(ann.dm().button(_en("welcome.in")))).answered()
    assert _en("programme.answer.in") in joined.text()

    picks = (await ann.command("")).answered().latest
    assert picks is not None and picks.kind == "ephemeral"
    captions = [c for c in picks.inputs() if c.block_id.startswith("caption:")]
    assert len(captions) == 3
    ann.type(captions[0], "In my own words!")
    first_card = captions[0].block_id.split(":")[1]
    share_button = next(
        b
        for b in picks.buttons()
        if b.block_id.startswith(f"card:{first_card}") and b.label.startswith("Share on")
    )
    shared = (await ann.press(share_button)).answered().latest
    assert shared is not None and shared.has("In my own words!")
    open_button = shared.button("Open ")
    composer = parse_qs(urlsplit(open_button.url or "").query)
    link = (composer.get("url") or composer.get("u") or [""])[0]
    assert link.startswith("https://boost.example.org/r/")

    thanked = (await ann.press(shared.button(_en("share.confirm")))).answered()
    network = share_button.label.removeprefix("Share on ")
    assert _en("share.confirmed", networks=network) in thanked.text()
    async with services.db.session() as session:
        share = (await session.execute(select(Share))).scalar_one()
    assert share.final_caption == "In my own words!" and share.confirmed_at is not None
    assert share.source == "now"


async def test_opt_out_stops_picks(world: SlackWorld, services: Services, clock: FakeClock) -> None:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    ann, cas = world.person("U1"), world.person("UCT", locale="en-GB", tz="Europe/London")
    await grant(services.db, "UCT", Role.CONTENT)
    (await ann.command("in")).answered()
    (await ann.command("out")).answered()

    refused = (await ann.command("")).answered()
    sent = (await cas.command("send-now")).answered()

    assert "not taking part" in refused.text()
    assert "chat.postMessage" not in sent.methods()
    assert world.fake.sent_to("U1") == []


@pytest.mark.parametrize(
    "forged",
    [
        {"X-Slack-Request-Timestamp": "0", "X-Slack-Signature": "v0=forged"},
        {},
        "stale",
        "wrong-secret",
    ],
)
async def test_bad_signatures_are_rejected_with_no_side_effects(
    client: TestClient[Any, Any], slack: FakeSlack, services: Services, forged: Any
) -> None:
    body = urlencode(
        {
            "command": "/boost",
            "text": "in",
            "user_id": "U1",
            "team_id": WORKSPACE,
            "response_url": slack.response_url("x"),
            "trigger_id": slack.trigger_id("U1"),
        }
    )
    if forged == "stale":
        forged = headers(body, timestamp=int(time.time()) - 600)
    elif forged == "wrong-secret":
        forged = headers(body, secret="not-the-secret")
    response = await client.post(
        "/slack/events",
        data=body,
        headers={**forged, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 401
    await listeners_done(client)
    assert slack.calls == []
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0


async def test_the_same_event_three_times_has_one_effect(
    client: TestClient[Any, Any], slack: FakeSlack, services: Services
) -> None:
    opened = event({"type": "app_home_opened", "user": "U2", "channel": "D2", "tab": "home"}, "E1")
    for retry in ("", "1", "2"):
        extra = (
            {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        )
        assert await post(client, opened, "application/json", **extra) == 200
    await listeners_done(client)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.calls_to("views.publish")) == 1
    async with services.db.session() as session:
        invited = await session.scalar(select(func.count()).where(Event.type == "invited"))
        person = (await session.execute(select(Person))).scalar_one()
    assert invited == 1
    assert (person.locale, person.timezone) == ("nl", "Europe/Amsterdam")
    assert "vrijwillig" in json.dumps(slack.calls_to("chat.postMessage")[0].args["blocks"])


async def test_home_tab_shows_choices_and_saves_them(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    ann = world.person("U1")
    await ann.command("in")
    await ann.open_home()
    home = ann.home()
    labels = {c.label for c in home.controls()}
    assert {_en("prefs.networks"), _en("home.cadence"), _en("home.my_data")} <= labels

    ticked = await ann.choose(home.control(_en("prefs.networks")), "x", "bluesky")
    assert ticked.calls == []  # a tick alone saves nothing: the form's one Save does
    saved = await ann.press(home.button(_en("prefs.save")))

    assert saved.kinds() == ["home"]
    async with services.db.session() as session:
        person = (await session.execute(select(Person).filter_by(external_id="U1"))).scalar_one()
    assert person.networks == ["x", "bluesky"]


async def test_privileged_commands_are_refused_with_a_reason(world: SlackWorld) -> None:
    ann = world.person("U1")

    refused = (await ann.command("retire 3")).answered()
    unknown = (await ann.command("dance")).answered()

    assert "content role" in refused.text()
    assert refused.kinds() == ["ephemeral"]
    assert "I don't know the command" in unknown.text()


async def test_injection_in_titles_and_captions_is_escaped(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    from content_store.content import NewContent, add_content
    from content_store.people import get_or_create_workspace

    async with services.db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        await add_content(
            session,
            workspace_id=ws.id,
            now=clock.now(),
            new=NewContent(
                canonical_url="https://e.example/x",
                title="<!channel> <@U999> <https://evil.example|bank>",
                description="&lt;script&gt; <!here>",
                topics=("product",),
            ),
        )
    ann = world.person("U1")
    await ann.command("in")
    picks = (await ann.command("")).answered().latest
    assert picks is not None
    # Only mrkdwn is interpreted by Slack; plain_text (the caption field) is shown as typed.
    interpreted = " ".join([picks.text, *_mrkdwn(picks.blocks)])
    for raw in ("<!channel>", "<@U999>", "<https://evil.example|bank>", "<!here>"):
        assert raw not in interpreted
    assert "&lt;!channel&gt;" in interpreted


def _mrkdwn(node: Any) -> list[str]:
    if isinstance(node, list):
        return [text for child in node for text in _mrkdwn(child)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "mrkdwn" else []
    return own + [text for value in node.values() for text in _mrkdwn(value)]


async def test_channel_mode_posts_picks_and_opens_a_personal_version(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    await add_item(services.db, slug="launch", topics=("product",), now=clock.now())
    world.fake.add_channel("C0BOOST", "social-boost", members=("U1", "UCT"))
    ann, cas = world.person("U1"), world.person("UCT", locale="en-GB", tz="Europe/London")
    await grant(services.db, "UCT", Role.CONTENT, Role.ADMIN)
    (await cas.command("channel #social-boost")).answered()
    await ann.command("in")

    await cas.command("send-now")

    (posted,) = ann.channel_messages("C0BOOST")
    mine = posted.button(_en("channel.mine"))
    opened = (await ann.press(mine)).answered().latest
    assert opened is not None and opened.kind == "modal"
    caption = next(c for c in opened.inputs() if c.block_id.startswith("caption:"))
    ann.type(caption, "Mine, really")
    share = next(b for b in opened.buttons() if b.label.startswith("Share on"))
    updated = (await ann.press(share)).answered().latest
    assert updated is not None and updated.kind == "modal" and updated.has("Mine, really")
    async with services.db.session() as session:
        record = (await session.execute(select(Share))).scalar_one()
    assert (record.source, record.final_caption) == ("channel", "Mine, really")


async def test_a_slack_failure_is_reported_in_plain_words(world: SlackWorld) -> None:
    ann = world.person("U1")
    await ann.command("in")
    world.fake.fail_next("conversations.open", "account_inactive")

    answer = (await ann.command("my-data")).answered()

    assert _en("slack.failed") in answer.text()


async def test_tips_and_the_let_my_manager_know_button(
    world: SlackWorld, services: Services
) -> None:
    ann = world.person("U1")
    tips = (await ann.command("tips")).answered().latest
    assert tips is not None

    # Ann has no manager on record: the answer says so and offers the content team.
    honest = (await ann.press(tips.button(_en("tips.manager.button")))).answered()
    assert _en("tips.manager.none") in honest.text()
    assert honest.latest is not None
    done = (await ann.press(honest.latest.button(_en("tips.content_team.button")))).answered()

    assert "the content team will see" in done.text()
    async with services.db.session() as session:
        asked = (await session.execute(select(Event).where(Event.type == "help_asked"))).scalars()
        assert [e.payload.get("share_with_content_team", False) for e in asked] == [False, True]
        assert not any(e.payload["share_with_manager"] for e in asked)


async def test_a_refused_profile_lookup_is_not_kept_and_is_asked_again_later(
    world: SlackWorld, services: Services, clock: FakeClock
) -> None:
    ann = world.person("UNL", locale="nl-NL", tz="Europe/Amsterdam")
    # A 429 is not waited out on a press: the answer comes at once, without the profile.
    world.fake.rate_limit_next("users.info", retry_after=30)
    (await ann.command("help")).answered()
    (await ann.command("help")).answered()
    assert len(world.fake.calls_to("users.info")) == 1

    clock.advance(minutes=11)
    (await ann.command("help")).answered()

    assert len(world.fake.calls_to("users.info")) == 2
    async with services.db.session() as session:
        person = (
            await session.execute(select(Person).where(Person.external_id == "UNL"))
        ).scalar_one()
    assert (person.locale, person.timezone) == ("nl", "Europe/Amsterdam")
