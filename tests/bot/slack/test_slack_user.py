"""The test Slack user sends what Slack sends: each request kind's shape, signed, escaped."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_bolt.request.payload_utils import (
    is_action,
    is_event,
    is_slash_command,
    is_view_submission,
    to_action,
)
from slack_sdk.web.async_client import AsyncWebClient

from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.slack_user import SlackUser, slack_escape

TOKEN = "xoxb-test"
CAPTION: dict[str, Any] = {
    "type": "input",
    "block_id": "caption:7",
    "label": {"type": "plain_text", "text": "Your caption"},
    "element": {
        "type": "plain_text_input",
        "action_id": "caption",
        "initial_value": "Suggested",
        "max_length": 280,
    },
}
BUTTONS: dict[str, Any] = {
    "type": "actions",
    "block_id": "card:7",
    "elements": [
        {
            "type": "button",
            "action_id": "share.x",
            "text": {"type": "plain_text", "text": "Share on X"},
            "value": "7:dm",
        },
        {
            "type": "checkboxes",
            "action_id": "prefs.networks",
            "options": [
                {"text": {"type": "plain_text", "text": "X"}, "value": "x"},
                {"text": {"type": "plain_text", "text": "Bluesky"}, "value": "bluesky"},
            ],
            "initial_options": [{"text": {"type": "plain_text", "text": "X"}, "value": "x"}],
        },
    ],
}
BLOCKS: list[dict[str, Any]] = [CAPTION, BUTTONS]


class Recorder:
    """A transport that keeps what the user sent and answers with `answer`."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.answer: Any = None

    async def deliver(self, body: str, content_type: str) -> tuple[int, Any]:
        self.sent.append((body, content_type))
        return 200, self.answer

    def payload(self) -> dict[str, Any]:
        body, _ = self.sent[-1]
        return dict(json.loads(parse_qs(body)["payload"][0]))

    def form(self) -> dict[str, str]:
        body, _ = self.sent[-1]
        return {key: values[0] for key, values in parse_qs(body).items()}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_user("U1", name="ann")
        fake.add_user("U2", name="bob")
        fake.add_channel("C0ENG", "engineering")
        yield fake


@pytest.fixture
def web(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[])


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def ann(slack: FakeSlack, recorder: Recorder) -> SlackUser:
    return SlackUser(fake=slack, transport=recorder, user_id="U1", name="ann")


async def test_a_press_in_a_dm_carries_the_message_state_and_a_response_url(
    ann: SlackUser, recorder: Recorder, web: AsyncWebClient
) -> None:
    await web.chat_postMessage(channel="U1", text="Your picks", blocks=BLOCKS)
    message = ann.dm()
    ann.type(message.input("caption:7"), "Mine & yours")

    await ann.press(message.button("Share on X"))

    payload = recorder.payload()
    assert is_action(payload) and to_action(payload) == payload["actions"][0]
    assert payload["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": "DU1",
        "is_ephemeral": False,
    }
    assert payload["message"]["blocks"] == BLOCKS and payload["message"]["ts"] == message.ts
    assert payload["state"]["values"] == {
        "caption:7": {"caption": {"type": "plain_text_input", "value": "Mine & yours"}},
        "card:7": {
            "prefs.networks": {
                "type": "checkboxes",
                "selected_options": [{"text": {"type": "plain_text", "text": "X"}, "value": "x"}],
            }
        },
    }
    action = payload["actions"][0]
    assert (action["type"], action["block_id"], action["value"]) == ("button", "card:7", "7:dm")
    assert payload["response_url"].startswith(ann.fake.root_url)
    assert payload["trigger_id"] in ann.fake.triggers
    assert payload["user"]["id"] == "U1" and payload["team"]["id"] == ann.fake.team_id


async def test_a_press_on_an_ephemeral_message_has_no_message(
    ann: SlackUser, recorder: Recorder, web: AsyncWebClient
) -> None:
    await web.chat_postEphemeral(channel="C0ENG", user="U1", text="Picks", blocks=BLOCKS)

    await ann.press(ann.ephemeral().button("Share on X"))

    payload = recorder.payload()
    assert payload["container"]["is_ephemeral"] is True
    assert payload["container"]["channel_id"] == "C0ENG"
    assert "message" not in payload
    assert payload["channel"] == {"id": "C0ENG", "name": "engineering"}
    assert "caption:7" in payload["state"]["values"]


async def test_a_replacement_through_the_response_url_replaces_that_ephemeral_only(
    ann: SlackUser, recorder: Recorder, web: AsyncWebClient
) -> None:
    await web.chat_postEphemeral(channel="C0ENG", user="U1", text="Other", blocks=BLOCKS)
    await web.chat_postEphemeral(channel="C0ENG", user="U1", text="Picks", blocks=BLOCKS)
    await ann.press(ann.ephemeral().button("Share on X"))
    url = recorder.payload()["response_url"]

    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"replace_original": True, "text": "Shared!"}) as response,
    ):
        assert response.status == 200

    assert [e.text for e in ann.ephemerals()] == ["Other", "Shared!"]


async def test_choices_on_the_home_tab_come_as_a_view_with_state(
    ann: SlackUser, recorder: Recorder, web: AsyncWebClient
) -> None:
    await web.views_publish(user_id="U1", view={"type": "home", "blocks": BLOCKS})
    home = ann.home()

    await ann.choose(home.control("prefs.networks"), "x", "bluesky")

    payload = recorder.payload()
    assert payload["container"] == {"type": "view", "view_id": home.key}
    assert payload["view"]["type"] == "home" and payload["view"]["id"] == home.key
    assert "response_url" not in payload and "message" not in payload
    action = payload["actions"][0]
    assert [o["value"] for o in action["selected_options"]] == ["x", "bluesky"]
    state = payload["view"]["state"]["values"]["card:7"]["prefs.networks"]
    assert [o["value"] for o in state["selected_options"]] == ["x", "bluesky"]


async def test_a_modal_is_submitted_with_what_was_typed_and_then_closes(
    ann: SlackUser, recorder: Recorder, web: AsyncWebClient, slack: FakeSlack
) -> None:
    view = {
        "type": "modal",
        "callback_id": "content.add",
        "title": {"type": "plain_text", "text": "Add"},
        "submit": {"type": "plain_text", "text": "Save"},
        "private_metadata": "42",
        "blocks": [CAPTION],
    }
    await web.views_open(trigger_id=slack.trigger_id("U1"), view=view)
    ann.type(ann.modal().input("caption"), "Typed")

    await ann.submit()

    payload = recorder.payload()
    assert is_view_submission(payload)
    assert payload["view"]["callback_id"] == "content.add"
    assert payload["view"]["private_metadata"] == "42"
    assert payload["view"]["state"]["values"]["caption:7"]["caption"]["value"] == "Typed"
    assert ann.modals() == []


async def test_a_slash_command_is_form_encoded_with_slack_escaping(
    ann: SlackUser, recorder: Recorder
) -> None:
    await ann.command('add https://e.example/?a=1&b=2 #engineering caption "Fish & chips <3"')

    form = recorder.form()
    assert is_slash_command(form)
    assert form["command"] == "/boost" and form["user_id"] == "U1"
    assert form["text"] == (
        'add <https://e.example/?a=1&amp;b=2> <#C0ENG|engineering> caption "Fish &amp; chips &lt;3"'
    )
    assert form["trigger_id"] in ann.fake.triggers
    assert form["channel_id"] == "DU1" and form["response_url"].startswith(ann.fake.root_url)


async def test_a_direct_message_and_opening_home_are_events(
    ann: SlackUser, recorder: Recorder, web: AsyncWebClient
) -> None:
    await ann.say("what's @bob doing? mail ann@example.com")
    said = json.loads(recorder.sent[-1][0])
    await web.views_publish(user_id="U1", view={"type": "home", "blocks": BLOCKS})
    await ann.open_home()
    opened = json.loads(recorder.sent[-1][0])

    assert ann.last().kind == "home"
    assert is_event(said) and said["event"]["channel_type"] == "im"
    assert said["event"]["text"] == (
        "what's <@U2|bob> doing? mail <mailto:ann@example.com|ann@example.com>"
    )
    assert said["event"]["channel"] == "DU1" and said["event"]["user"] == "U1"
    assert said["event_id"] != opened["event_id"]
    assert opened["event"]["type"] == "app_home_opened" and opened["event"]["tab"] == "home"
    assert opened["event"]["view"]["id"] == ann.home().key


async def test_a_view_submission_ack_with_errors_keeps_the_modal_open(
    ann: SlackUser, recorder: Recorder, web: AsyncWebClient, slack: FakeSlack
) -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Add"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [CAPTION],
    }
    await web.views_open(trigger_id=slack.trigger_id("U1"), view=view)
    recorder.answer = {"response_action": "errors", "errors": {"caption:7": "Too long"}}

    await ann.submit()

    assert len(ann.modals()) == 1


async def test_click_everything_presses_each_button_once(
    ann: SlackUser, recorder: Recorder, web: AsyncWebClient
) -> None:
    buttons = [
        {
            "type": "button",
            "action_id": f"b{n}",
            "text": {"type": "plain_text", "text": f"B{n}"},
            "value": str(n),
        }
        for n in range(3)
    ]
    await web.chat_postMessage(
        channel="U1", text="x", blocks=[{"type": "actions", "elements": buttons}]
    )

    pressed = await ann.click_everything(ann.dm(), skip=("B1",))

    assert [control.label for control, _ in pressed] == ["B0", "B2"]
    assert len(recorder.sent) == 2


def test_escaping_leaves_unknown_channels_and_people_as_typed(slack: FakeSlack) -> None:
    assert slack_escape("#random @nobody a<b", slack) == "#random @nobody a&lt;b"
    assert slack_escape("#engineering", slack) == "<#C0ENG|engineering>"


async def test_click_everything_uses_choices_as_they_stand_and_submits_a_modal(
    ann: SlackUser, recorder: Recorder, web: AsyncWebClient, slack: FakeSlack
) -> None:
    select = {
        "type": "static_select",
        "action_id": "cadence",
        "placeholder": {"type": "plain_text", "text": "How often"},
        "options": [
            {"text": {"type": "plain_text", "text": "Weekly"}, "value": "weekly"},
            {"text": {"type": "plain_text", "text": "Monthly"}, "value": "monthly"},
        ],
    }
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Prefs"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [CAPTION, BUTTONS, {"type": "actions", "block_id": "c", "elements": [select]}],
    }
    await web.views_open(trigger_id=slack.trigger_id("U1"), view=view)

    used = await ann.click_everything(ann.modal())

    assert [control.type for control, _ in used] == [
        "button",
        "checkboxes",
        "static_select",
        "submit",
    ]
    sent = [json.loads(parse_qs(body)["payload"][0]) for body, _ in recorder.sent]
    assert [o["value"] for o in sent[1]["actions"][0]["selected_options"]] == ["x"]
    assert sent[2]["actions"][0]["selected_option"]["value"] == "weekly"
    assert sent[3]["type"] == "view_submission" and ann.modals() == []
