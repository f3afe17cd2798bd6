"""The fake Slack refuses what Slack refuses, beyond slack_sdk's models, and fails the test."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.bot.slack import strict
from tests.bot.slack.fake_slack import FakeSlack

TOKEN = "xoxb-test"
SECTION: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}
MODAL: dict[str, Any] = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Share"},
    "blocks": [SECTION],
}
INPUT: dict[str, Any] = {
    "type": "input",
    "block_id": "caption",
    "label": {"type": "plain_text", "text": "Caption"},
    "element": {"type": "plain_text_input", "action_id": "caption"},
}


def _button(**fields: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": "Go"},
        "action_id": "a",
        **fields,
    }


def _option(value: str, text: str = "o") -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_user("U1")
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[])


async def _refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        await call
    assert caught.value.response.status_code == 200  # Slack refuses with HTTP 200
    return dict(caught.value.response.data)


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([{"type": "divider", "block_id": "x"}] * 2, "duplicate block_id 'x'"),
        ([_actions(_button(), _button())], "duplicate action_id 'a'"),
        (
            [_actions({"type": "checkboxes", "action_id": "c", "options": [_option("v" * 151)]})],
            "150",
        ),
        (
            [
                _actions(
                    {
                        "type": "checkboxes",
                        "action_id": "c",
                        "options": [_option(f"v{n}") for n in range(11)],
                    }
                )
            ],
            "1 to 10",
        ),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "Hi"}}], "plain_text"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "more than 0"),
        (
            [
                {
                    **INPUT,
                    "element": {
                        "type": "plain_text_input",
                        "action_id": "c",
                        "max_length": 5,
                        "initial_value": "123456",
                    },
                }
            ],
            "exceeds max_length 5",
        ),
        (
            [
                {
                    **INPUT,
                    "element": {
                        "type": "plain_text_input",
                        "action_id": "c",
                        "min_length": 9,
                        "max_length": 5,
                    },
                }
            ],
            "min_length",
        ),
        ([{"type": "image", "image_url": "https://e.example/a.png", "alt_text": ""}], "alt_text"),
        (
            [
                _actions(
                    {
                        "type": "static_select",
                        "action_id": "s",
                        "placeholder": {"type": "plain_text", "text": "Pick"},
                        "options": [_option("a")],
                        "initial_option": _option("b"),
                    }
                )
            ],
            "exactly match",
        ),
        (
            [
                _actions(
                    {
                        "type": "overflow",
                        "action_id": "o",
                        "options": [_option(f"v{n}") for n in range(6)],
                    }
                )
            ],
            "1 to 5",
        ),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}], "2000"),
        ([_actions(_button(style="loud"))], "primary or danger"),
        ([_actions(_button(value="v" * 2001))], "2000"),
        ([_actions(_button(text={"type": "plain_text", "text": "t" * 76}))], "75"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}], "10"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "150"),
        ([_actions({"type": "datepicker", "action_id": "d", "initial_date": "17/11"})], "YYYY"),
    ],
)
async def test_rules_the_models_skip_are_refused_like_slack(
    slack: FakeSlack, client: AsyncWebClient, blocks: list[dict[str, Any]], problem: str
) -> None:
    with slack.expect("invalid_blocks", method="chat.postMessage"):
        data = await _refusal(client.chat_postMessage(channel="C1", text="x", blocks=blocks))

    assert data["error"] == "invalid_blocks"
    assert any(problem in error for error in data["errors"]), data["errors"]
    assert all("[json-pointer:" in error for error in data["errors"] if "blocks" in error)
    assert data["response_metadata"]["messages"][0].startswith("[ERROR] ")
    assert slack.messages == {}


async def test_a_valid_message_with_every_element_is_accepted(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [
        {"type": "header", "block_id": "h", "text": {"type": "plain_text", "text": "Hi"}},
        {**INPUT, "element": {**INPUT["element"], "max_length": 280, "initial_value": "Mine"}},
        {
            "type": "actions",
            "block_id": "a",
            "elements": [
                _button(action_id="go", value="1", style="primary"),
                {
                    "type": "checkboxes",
                    "action_id": "c",
                    "options": [_option("x"), _option("y")],
                    "initial_options": [_option("y")],
                },
                {"type": "datepicker", "action_id": "d", "initial_date": "2026-12-01"},
            ],
        },
    ]

    await client.chat_postMessage(channel="C1", text="x", blocks=blocks)

    assert slack.violations == []


@pytest.mark.parametrize(
    ("view", "problem"),
    [
        ({**MODAL, "blocks": [INPUT]}, "needs a submit"),
        ({"type": "modal", "blocks": [SECTION]}, "needs a title"),
        ({**MODAL, "external_id": "e" * 256}, "255"),
        ({**MODAL, "private_metadata": "m" * 3001}, "3000"),
        ({**MODAL, "submit": {"type": "plain_text", "text": "s" * 25}}, "24"),
        ({**MODAL, "blocks": [{**SECTION, "block_id": "b"}] * 2}, "duplicate block_id"),
    ],
)
async def test_invalid_modals_are_refused(
    slack: FakeSlack, client: AsyncWebClient, view: dict[str, Any], problem: str
) -> None:
    with slack.expect("invalid_blocks", method="views.open"):
        data = await _refusal(client.views_open(trigger_id=slack.trigger_id("U1"), view=view))

    assert any(problem in error for error in data["errors"]), data["errors"]
    assert slack.open_modals("U1") == []


async def test_views_must_go_to_the_surface_of_their_type(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    home = {"type": "home", "blocks": [SECTION]}

    with slack.expect("invalid_arguments", method="views.open"):
        opened = await _refusal(client.views_open(trigger_id=slack.trigger_id("U1"), view=home))
    with slack.expect("invalid_arguments", method="views.publish"):
        published = await _refusal(client.views_publish(user_id="U1", view=MODAL))
    with slack.expect("invalid_arguments", method="views.publish"):
        anonymous = await _refusal(client.api_call("views.publish", json={"view": home}))

    assert {opened["error"], published["error"], anonymous["error"]} == {"invalid_arguments"}


async def test_a_trigger_opens_one_modal_within_three_seconds(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    used, stale = slack.trigger_id("U1"), slack.trigger_id("U1")
    await client.views_open(trigger_id=used, view=MODAL)

    with slack.expect("exchanged_trigger_id"):
        again = await _refusal(client.views_open(trigger_id=used, view=MODAL))
    with slack.expect("invalid_trigger_id"):
        made_up = await _refusal(client.views_open(trigger_id="1.2.madeup", view=MODAL))
    slack.advance(3.5)
    with slack.expect("expired_trigger_id"):
        late = await _refusal(client.views_open(trigger_id=stale, view=MODAL))

    assert [again["error"], made_up["error"], late["error"]] == [
        "exchanged_trigger_id",
        "invalid_trigger_id",
        "expired_trigger_id",
    ]
    assert len(slack.open_modals("U1")) == 1


async def test_views_update_needs_an_open_view(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.views_open(
        trigger_id=slack.trigger_id("U1"), view={**MODAL, "external_id": "ext-1"}
    )
    view_id = opened["view"]["id"]

    by_external = await client.views_update(
        external_id="ext-1",
        view={
            **MODAL,
            "blocks": [INPUT, SECTION],
            "submit": {"type": "plain_text", "text": "Save"},
        },
    )
    with slack.expect("invalid_arguments"):
        no_id = await _refusal(client.api_call("views.update", json={"view": MODAL}))
    with slack.expect("not_found"):
        unknown = await _refusal(client.views_update(view_id="V404", view=MODAL))
    slack.modal_closed(user="U1", view_id=view_id)
    with slack.expect("not_found"):
        closed = await _refusal(client.views_update(view_id=view_id, view=MODAL))

    assert by_external["view"]["id"] == view_id
    assert (no_id["error"], unknown["error"], closed["error"]) == (
        "invalid_arguments",
        "not_found",
        "not_found",
    )


async def test_chat_update_needs_ts_and_post_ephemeral_needs_a_user(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    with slack.expect("invalid_arguments", method="chat.update"):
        no_ts = await _refusal(client.api_call("chat.update", json={"channel": "C1", "text": "x"}))
    with slack.expect("invalid_arguments", method="chat.postEphemeral"):
        no_user = await _refusal(
            client.api_call("chat.postEphemeral", json={"channel": "C1", "text": "x"})
        )

    assert no_ts["errors"] == ["missing required field: ts [json-pointer:/ts]"]
    assert no_user["error"] == "invalid_arguments"


async def _post_json(url: str, body: Any) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.text()


async def test_a_response_url_replaces_the_message_it_came_from(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="DU1", text="before", blocks=[SECTION])
    url = slack.response_url(
        "r1", user="U1", channel="DU1", source=("message", "DU1", posted["ts"])
    )

    status = await _post_json(url, {"replace_original": True, "text": "after"})

    assert status == (200, "ok")
    assert slack.message("DU1", posted["ts"])["text"] == "after"
    assert "blocks" not in slack.message("DU1", posted["ts"])


async def test_a_response_url_answer_is_checked_like_a_message(slack: FakeSlack) -> None:
    url = slack.response_url("r1", user="U1", channel="DU1")
    duplicate = [{**SECTION, "block_id": "text:0"}, {**SECTION, "block_id": "text:0"}]

    with slack.expect("invalid_blocks", method="respond"):
        refused = await _post_json(url, {"response_type": "ephemeral", "blocks": duplicate})
    with slack.expect("no_text", method="respond"):
        empty = await _post_json(url, {"response_type": "ephemeral"})

    # Response URLs answer like incoming webhooks: 400 and the error as plain text.
    assert refused == (400, "invalid_blocks")
    assert empty == (400, "no_text")
    assert slack.ephemerals_for("U1") == []


async def test_a_response_url_works_five_times_within_thirty_minutes(slack: FakeSlack) -> None:
    url = slack.response_url("r1", user="U1", channel="DU1")
    answers = [await _post_json(url, {"text": f"n{n}"}) for n in range(5)]
    with slack.expect("used_url"):
        sixth = await _post_json(url, {"text": "again"})
    late = slack.response_url("r2", user="U1", channel="DU1")
    slack.advance(31 * 60)
    with slack.expect("expired_url"):
        expired = await _post_json(late, {"text": "late"})
    with slack.expect("expired_url"):
        unknown = await _post_json(f"{slack.root_url}/response/never-issued", {"text": "x"})

    assert answers == [(200, "ok")] * 5
    assert [sixth[0], expired[0], unknown[0]] == [404, 404, 404]
    assert [e.text for e in slack.ephemerals_for("U1")] == [f"n{n}" for n in range(5)]


async def test_ephemeral_answers_replace_only_the_ephemeral_they_came_from(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    first = await client.chat_postEphemeral(channel="C1", user="U1", text="one")
    second = await client.chat_postEphemeral(channel="C1", user="U1", text="two")
    url = slack.response_url(
        "r1", user="U1", channel="C1", source=("ephemeral", second["message_ts"])
    )

    await _post_json(url, {"replace_original": True, "text": "two, replaced"})
    gone = slack.response_url(
        "r2", user="U1", channel="C1", source=("ephemeral", first["message_ts"])
    )
    await _post_json(gone, {"delete_original": True})

    assert [e.text for e in slack.ephemerals_for("U1")] == ["two, replaced"]


async def test_in_channel_answers_are_posted_for_everyone(slack: FakeSlack) -> None:
    url = slack.response_url("r1", user="U1", channel="C1")

    await _post_json(url, {"response_type": "in_channel", "text": "for all"})

    assert [m["text"] for m in slack.messages.values()] == ["for all"]


async def test_posting_to_a_channel_needs_membership_or_chat_write_public(
    client: AsyncWebClient,
) -> None:
    async with (
        FakeSlack() as without,
        FakeSlack(scopes=frozenset({"chat:write", "chat:write.public"})) as with_public,
    ):
        for fake in (without, with_public):
            fake.add_channel("C9", "random", bot_member=False)
        plain = AsyncWebClient(token=TOKEN, base_url=without.base_url, retry_handlers=[])
        public = AsyncWebClient(token=TOKEN, base_url=with_public.base_url, retry_handlers=[])

        refused = await _refusal(plain.chat_postMessage(channel="C9", text="hi"))
        posted = await public.chat_postMessage(channel="C9", text="hi")

    assert refused["error"] == "not_in_channel"
    assert posted["ok"] is True


async def test_conversations_info_names_a_channel(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_channel("C0BOOST", "social-boost", members=("U1",))

    info = await client.conversations_info(channel="C0BOOST")

    assert info["channel"]["name"] == "social-boost"
    assert (await _refusal(client.conversations_info(channel="C404")))["error"] == (
        "channel_not_found"
    )


async def test_a_view_submission_ack_is_applied_and_checked(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    view = {**MODAL, "blocks": [INPUT], "submit": {"type": "plain_text", "text": "Save"}}
    opened = await client.views_open(trigger_id=slack.trigger_id("U1"), view=view)
    view_id = opened["view"]["id"]

    slack.view_submitted(
        user="U1",
        view_id=view_id,
        body={"response_action": "errors", "errors": {"caption": "Too long"}},
    )
    with slack.expect("invalid_arguments", method="ack:view_submission"):
        slack.view_submitted(
            user="U1", view_id=view_id, body={"response_action": "errors", "errors": {"nope": "x"}}
        )
    with slack.expect("invalid_arguments", method="ack:view_submission"):
        slack.view_submitted(
            user="U1",
            view_id=view_id,
            body={"response_action": "update", "view": {**MODAL, "blocks": [INPUT]}},
        )
    still_open = len(slack.open_modals("U1"))
    slack.view_submitted(user="U1", view_id=view_id, body=None)

    assert still_open == 1
    assert slack.open_modals("U1") == []


async def test_violations_fail_the_test_once_unless_declared(slack: FakeSlack) -> None:
    url = slack.response_url("r1", user="U1", channel="DU1")
    await _post_json(url, {"blocks": "not a list", "text": "x"})

    with pytest.raises(strict.SlackRefused, match="blocks is not a JSON array"):
        strict._raise_if_any("now")
    strict._raise_if_any("again")  # reported once only
    slack.allow("no_text", method="respond")
    await _post_json(url, {"response_type": "ephemeral"})
    strict._raise_if_any("declared")
    with (
        pytest.raises(AssertionError, match="expected Slack to refuse"),
        slack.expect("invalid_blocks"),
    ):
        await _post_json(url, {"text": "fine"})


async def test_slack_error_bodies_are_json_with_errors(slack: FakeSlack) -> None:
    with slack.expect("invalid_blocks"):
        async with aiohttp.ClientSession() as session:
            response = await session.post(
                f"{slack.base_url}chat.postMessage",
                headers={"Authorization": f"Bearer {TOKEN}"},
                data={"channel": "C1", "blocks": json.dumps([{"type": "section"}])},
            )
            body = await response.json()

    assert response.status == 200
    assert body["ok"] is False and body["error"] == "invalid_blocks"
    assert body["errors"] and body["response_metadata"]["messages"]
