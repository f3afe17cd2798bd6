"""The manager digest as each platform shows it: the figures in the message, the chart along."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.slack.app import render_pair
from bot.slack.messenger import SlackMessenger, build_web_client
from bot.teams.render import render_messages
from content_store.analytics.digest_figures import ItemCount, WeekCounts
from handlers.manager_digest import ManagerDigest, Names, digest_reply
from handlers.types import Reply
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.teams.cards import assert_valid_cards

TOKEN = "xoxb-1234-5678-s3cr3tT0k3n"


def _digest() -> Reply:
    weeks = tuple(WeekCounts(shares=n, clicks=2 * n, sharers=n % 4) for n in range(12))
    digest = ManagerDigest(
        manager_id=1,
        locale="en",
        week_start=datetime(2026, 11, 9, 15, tzinfo=UTC),
        scope="team",
        in_programme=8,
        weeks=weeks,
        top_items=(ItemCount(7, "Our <b>climate</b> report", 4, 9),),
        spotlights=((3, 2),),
        asked_for_tips=(4,),
        suggestion="share_top",
        suggestion_item="Our <b>climate</b> report",
    )
    return digest_reply(digest, Names(spotlights=(("Anna", 2),), asked_for_tips=("Bo",)))


def _all_text(node: Any) -> str:
    if isinstance(node, dict):
        return " ".join(_all_text(value) for value in node.values())
    if isinstance(node, list):
        return " ".join(_all_text(value) for value in node)
    return node if isinstance(node, str) else ""


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=TOKEN) as fake:
        fake.add_user("UBOSS", locale="en-GB", tz="Europe/London", name="boss", email="b@x.nl")
        yield fake


async def test_slack_posts_the_figures_and_uploads_the_chart(slack: FakeSlack) -> None:
    client = build_web_client(token=TOKEN, base_url=slack.base_url, max_retries=1)
    messenger = SlackMessenger(client=client, render=render_pair)
    reply = _digest()

    await messenger.send_to_user(workspace_id="T-TEST", user_id="UBOSS", reply=reply)

    (post,) = slack.calls_to("chat.postMessage")
    text = _all_text(post.args["blocks"])
    assert "who take part: 8. Shared something this week: 3" in text
    assert "Shares this week: 11" in text
    assert "Our &lt;b&gt;climate&lt;/b&gt; report — shared 4 times, 9 clicks" in text
    assert "Anna (shared 2 times)" in text and "Bo" in text
    (file,) = slack.files.values()
    assert file["data"] == reply.files[0].content and file["data"].startswith(b"\x89PNG")
    assert slack.problems == []


def test_teams_shows_the_figures_and_the_chart_in_one_valid_card() -> None:
    reply = _digest()

    (message,) = render_messages(reply, locale="en")

    assert_valid_cards([message.card])
    text = _all_text(message.card)
    assert "who take part: 8. Shared something this week: 3" in text
    assert "Shares this week: 11" in text
    assert "Our <b>climate</b> report — shared 4 times, 9 clicks" in text
    images = [e for e in message.card["body"] if e.get("type") == "Image"]
    encoded = base64.b64encode(reply.files[0].content).decode()
    assert [image["url"] for image in images] == [f"data:image/png;base64,{encoded}"]
    assert message.files == ()
