"""The Slack app end to end: signed requests through the real Bolt app over HTTP, fake Web API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.server import create_app
from bot.slack.app import SlackAdapter
from bot.slack.messenger import build_web_client
from content_store.models import Event, Person, Share
from domain.programme import Role
from handlers.context import Services
from tests.bot.slack.fake_slack import FakeSlack
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, add_item, grant

SECRET = "test-signing-secret"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=WORKSPACE) as fake:
        fake.add_user("U1", locale="en-US", tz="Europe/Amsterdam")
        fake.add_user("U2", locale="nl-NL", tz="Europe/Amsterdam")
        fake.add_user("UCT", locale="en-GB", tz="Europe/London")
        yield fake
        # Every message, view and response the app sent in the test was valid Block Kit.
        assert fake.problems == []


@pytest.fixture
async def client(services: Services, slack: FakeSlack) -> AsyncIterator[TestClient]:
    web_client = build_web_client(token="xoxb-test", base_url=slack.base_url, max_retries=2)
    adapter = SlackAdapter(services=services, client=web_client, signing_secret=SECRET)
    app = create_app(services)
    app.router.add_post("/slack/events", adapter.handle)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def _headers(body: str, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


async def _post(client: TestClient, body: str, content_type: str, **extra: str) -> int:
    headers = {**_headers(body), "Content-Type": content_type, **extra}
    response = await client.post("/slack/events", data=body.encode(), headers=headers)
    return response.status


async def slash(
    client: TestClient, slack: FakeSlack, text: str, *, user: str = "U1", name: str = "cmd"
) -> int:
    body = urlencode(
        {
            "command": "/boost",
            "text": text,
            "user_id": user,
            "user_name": user.lower(),
            "team_id": WORKSPACE,
            "team_domain": "test",
            "channel_id": "C1",
            "channel_name": "general",
            "trigger_id": "trigger-1",
            "response_url": slack.response_url(name),
            "api_app_id": "A1",
        }
    )
    return await _post(client, body, "application/x-www-form-urlencoded")


async def press(
    client: TestClient,
    slack: FakeSlack,
    action_id: str,
    value: str,
    *,
    user: str = "U1",
    name: str = "act",
    message: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
) -> int:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": WORKSPACE},
        "api_app_id": "A1",
        "trigger_id": "trigger-2",
        "response_url": slack.response_url(name),
        "container": {"type": "message", "channel_id": "D1", "message_ts": "1.1"},
        "channel": {"id": "D1"},
        "message": message or {"ts": "1.1", "text": "", "blocks": []},
        "state": {"values": state or {}},
        "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button"}],
    }
    return await _post(
        client, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )


def _event(event: dict[str, Any], event_id: str = "Ev1") -> str:
    return json.dumps(
        {
            "token": "x",
            "team_id": WORKSPACE,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
    )


async def until(check: Callable[[], Any], *, seconds: float = 10) -> Any:
    """Wait for listeners that run after the ack; fails the test if nothing happens."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.02)
    pytest.fail("the app did not do what was expected in time")


def _texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def test_full_journey_from_welcome_to_confirmed_share(
    client: TestClient, slack: FakeSlack, services: Services, clock: FakeClock
) -> None:
    for n in range(4):
        await add_item(services.db, slug=f"launch-{n}", topics=("product",), now=clock.now())
    home_event = _event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    assert await _post(client, home_event, "application/json") == 200
    welcome = await until(lambda: slack.calls_to("chat.postMessage"))
    assert "voluntary" in _texts(welcome[0].args["blocks"])
    await until(lambda: slack.calls_to("views.publish"))

    assert await press(client, slack, "programme.answer", "in", name="answer") == 200
    answered = await until(lambda: slack.responses("answer"))
    assert answered[0]["replace_original"] is True

    assert await slash(client, slack, "", name="picks") == 200
    picks = (await until(lambda: slack.responses("picks")))[0]
    assert picks["response_type"] == "ephemeral"
    caption_blocks = [b for b in picks["blocks"] if b["block_id"].startswith("caption:")]
    assert len(caption_blocks) == 3
    first_id = int(caption_blocks[0]["block_id"].split(":")[1])
    share_button = next(
        e
        for b in picks["blocks"]
        if b.get("block_id", "").startswith(f"card:{first_id}")
        for e in b["elements"]
        if e["action_id"].startswith("share.")
    )

    state = {
        f"caption:{first_id}": {
            "caption": {"type": "plain_text_input", "value": "In my own words!"}
        }
    }
    message = {"ts": "1.1", "text": picks["text"], "blocks": picks["blocks"]}
    await press(
        client,
        slack,
        share_button["action_id"],
        share_button["value"],
        name="share",
        message=message,
        state=state,
    )
    shared = (await until(lambda: slack.responses("share")))[0]
    assert shared["replace_original"] is True
    blocks_text = _texts(shared["blocks"])
    assert "In my own words!" in blocks_text
    assert len([b for b in shared["blocks"] if b["block_id"].startswith("caption:")]) == 2
    open_button = next(
        e
        for b in shared["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("share.open")
    )
    composer = urlsplit(open_button["url"])
    link = parse_qs(composer.query).get("url", parse_qs(composer.query).get("u", [""]))[0]
    assert link.startswith("https://boost.example.org/r/")
    confirm = next(
        e
        for b in shared["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("share.confirm")
    )
    await press(
        client,
        slack,
        confirm["action_id"],
        confirm["value"],
        name="confirm",
        message={"ts": "1.1", "text": "", "blocks": shared["blocks"]},
    )
    await until(lambda: slack.responses("confirm"))
    async with services.db.session() as session:
        share = (await session.execute(select(Share))).scalar_one()
    assert share.final_caption == "In my own words!" and share.confirmed_at is not None
    assert share.source == "now"
    assert slack.problems == []


async def test_opt_out_stops_picks(
    client: TestClient, slack: FakeSlack, services: Services, clock: FakeClock
) -> None:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    await slash(client, slack, "in", name="in")
    await until(lambda: slack.responses("in"))
    await slash(client, slack, "out", name="out")
    await until(lambda: slack.responses("out"))
    await slash(client, slack, "", name="picks")
    refused = (await until(lambda: slack.responses("picks")))[0]
    assert "not taking part" in refused["text"] or "not taking part" in _texts(refused["blocks"])
    await grant(services.db, "UCT", Role.CONTENT)
    await slash(client, slack, "send-now", user="UCT", name="send")
    await until(lambda: slack.responses("send"))
    assert slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "0", "X-Slack-Signature": "v0=forged"},
        {},
        "stale",
        "wrong-secret",
    ],
)
async def test_bad_signatures_are_rejected_with_no_side_effects(
    client: TestClient, slack: FakeSlack, services: Services, headers: Any
) -> None:
    body = urlencode(
        {
            "command": "/boost",
            "text": "in",
            "user_id": "U1",
            "team_id": WORKSPACE,
            "response_url": slack.response_url("x"),
            "trigger_id": "t",
        }
    )
    if headers == "stale":
        headers = _headers(body, timestamp=int(time.time()) - 600)
    elif headers == "wrong-secret":
        headers = _headers(body, secret="not-the-secret")
    response = await client.post(
        "/slack/events",
        data=body,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 401
    await asyncio.sleep(0.2)
    assert slack.calls == []
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0


async def test_the_same_event_three_times_has_one_effect(
    client: TestClient, slack: FakeSlack, services: Services
) -> None:
    event = _event(
        {"type": "app_home_opened", "user": "U2", "channel": "D2", "tab": "home"}, "EvSame"
    )
    for retry in ("", "1", "2"):
        extra = (
            {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        )
        assert await _post(client, event, "application/json", **extra) == 200
    await until(lambda: slack.calls_to("chat.postMessage"))
    await asyncio.sleep(0.3)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.calls_to("views.publish")) == 1
    async with services.db.session() as session:
        invited = await session.scalar(select(func.count()).where(Event.type == "invited"))
        person = (await session.execute(select(Person))).scalar_one()
    assert invited == 1
    assert (person.locale, person.timezone) == ("nl", "Europe/Amsterdam")
    assert "vrijwillig" in _texts(slack.calls_to("chat.postMessage")[0].args["blocks"])


async def test_home_tab_shows_choices_and_saves_them(
    client: TestClient, slack: FakeSlack, services: Services, clock: FakeClock
) -> None:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    await slash(client, slack, "in", name="in")
    await until(lambda: slack.responses("in"))
    opened = _event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    await _post(client, opened, "application/json")
    view = (await until(lambda: slack.calls_to("views.publish")))[0].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    elements = [e for b in view["blocks"] for e in (*b.get("elements", []), b.get("element", {}))]
    action_ids = {e.get("action_id", "") for e in elements}
    assert {"prefs.networks", "prefs.cadence", "prefs.consents", "privacy.export"} <= {
        a.split(":")[0] for a in action_ids
    }
    save = next(e for e in elements if e.get("action_id") == "prefs.save")
    ticked = {"type": "checkboxes", "selected_options": [{"value": "x"}, {"value": "bluesky"}]}
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": WORKSPACE},
        "api_app_id": "A1",
        "trigger_id": "t",
        "container": {"type": "view", "view_id": "V1"},
        "view": {
            "id": "V1",
            "type": "home",
            "state": {"values": {"prefs.networks": {"prefs.networks": ticked}}},
        },
        "actions": [
            {"action_id": "prefs.save", "block_id": "b9", "type": "button", "value": save["value"]}
        ],
    }
    await _post(
        client, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )
    await until(lambda: len(slack.calls_to("views.publish")) >= 2)
    async with services.db.session() as session:
        person = (await session.execute(select(Person).filter_by(external_id="U1"))).scalar_one()
    assert person.networks == ["x", "bluesky"]


async def test_privileged_commands_are_refused_with_a_reason(
    client: TestClient, slack: FakeSlack, services: Services
) -> None:
    await slash(client, slack, "retire 3", name="retire")
    refused = (await until(lambda: slack.responses("retire")))[0]
    assert "content role" in _texts(refused["blocks"])
    assert refused["response_type"] == "ephemeral"
    await slash(client, slack, "dance", name="dance")
    unknown = (await until(lambda: slack.responses("dance")))[0]
    assert "I don't know the command" in _texts(unknown["blocks"])


async def test_injection_in_titles_and_captions_is_escaped(
    client: TestClient, slack: FakeSlack, services: Services, clock: FakeClock
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
    await slash(client, slack, "in", name="in")
    await until(lambda: slack.responses("in"))
    await slash(client, slack, "", name="picks")
    picks = (await until(lambda: slack.responses("picks")))[0]
    # Only mrkdwn is interpreted by Slack; plain_text (the caption field) is shown as typed.
    interpreted = " ".join([picks["text"], *_mrkdwn(picks["blocks"])])
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
    client: TestClient, slack: FakeSlack, services: Services, clock: FakeClock
) -> None:
    await add_item(services.db, slug="launch", topics=("product",), now=clock.now())
    await grant(services.db, "UCT", Role.CONTENT, Role.ADMIN)
    await slash(client, slack, "channel <#C0BOOST|social-boost>", user="UCT", name="channel")
    await until(lambda: slack.responses("channel"))
    await slash(client, slack, "in", name="in")
    await until(lambda: slack.responses("in"))
    await slash(client, slack, "send-now", user="UCT", name="send")
    await until(lambda: slack.responses("send"))
    posts = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "C0BOOST"]
    assert len(posts) == 1
    blocks = posts[0].args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    mine = next(e for b in blocks if b["type"] == "actions" for e in b["elements"])
    assert mine["action_id"].startswith("picks.personal")

    await press(client, slack, mine["action_id"], mine["value"], name="mine")
    opened = (await until(lambda: slack.calls_to("views.open")))[0].args["view"]
    opened = json.loads(opened) if isinstance(opened, str) else opened
    caption = next(b for b in opened["blocks"] if b["block_id"].startswith("caption:"))
    content_id = int(caption["block_id"].split(":")[1])
    view_id = list(slack.views)[-1]
    share = next(
        e
        for b in opened["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("share.")
    )
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": WORKSPACE},
        "api_app_id": "A1",
        "trigger_id": "t3",
        "container": {"type": "view", "view_id": view_id},
        "view": {
            "id": "V9",
            "type": "modal",
            "state": {
                "values": {
                    f"caption:{content_id}": {
                        "caption": {"type": "plain_text_input", "value": "Mine, really"}
                    }
                }
            },
        },
        "actions": [
            {
                "action_id": share["action_id"],
                "block_id": "b",
                "value": share["value"],
                "type": "button",
            }
        ],
    }
    await _post(
        client, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )
    updated = (await until(lambda: slack.calls_to("views.update")))[0].args
    assert "Mine, really" in json.dumps(updated["view"])
    async with services.db.session() as session:
        record = (await session.execute(select(Share))).scalar_one()
    assert (record.source, record.final_caption) == ("channel", "Mine, really")


async def test_a_slack_failure_is_reported_in_plain_words(
    client: TestClient, slack: FakeSlack, services: Services
) -> None:
    await slash(client, slack, "in", name="in")
    await until(lambda: slack.responses("in"))
    slack.fail_next("conversations.open", "account_inactive")
    await slash(client, slack, "my-data", name="data")
    answer = (await until(lambda: slack.responses("data")))[0]
    assert "Slack did not accept that" in json.dumps(answer["blocks"])


async def test_tips_and_the_let_my_manager_know_button(
    client: TestClient, slack: FakeSlack, services: Services
) -> None:
    assert await slash(client, slack, "tips", name="tips") == 200
    tips = (await until(lambda: slack.responses("tips")))[0]
    assert "tips.manager" in json.dumps(tips["blocks"])
    assert await press(client, slack, "tips.manager", "yes", name="manager") == 200
    done = (await until(lambda: slack.responses("manager")))[0]
    assert "your manager will see" in _texts(done["blocks"])
    async with services.db.session() as session:
        asked = (await session.execute(select(Event).where(Event.type == "help_asked"))).scalars()
        assert [e.payload["share_with_manager"] for e in asked] == [False, True]
