"""The fake Slack Web API answers like Slack, records calls and catches invalid Block Kit."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.bot.slack.fake_slack import FakeSlack

TOKEN = "xoxb-test"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Share"}, "blocks": [SECTION]}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    # No retry handlers: these tests look at the fake's raw answers.
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[])


async def _error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call
    return str(caught.value.response["error"])


async def _raw_post(slack: FakeSlack, method: str, **kwargs: Any) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as session:
        response = await session.post(f"{slack.base_url}{method}", **kwargs)
        await response.read()
        return response


async def test_auth_test_answers_with_the_bot_identity(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    response = await client.auth_test()

    assert response["ok"] is True
    assert (response["user"], response["user_id"], response["bot_id"]) == (
        "socialboost",
        "UBOT",
        "BBOT",
    )
    assert response["team_id"] == "T-TEST"
    assert response["url"].startswith("https://")
    assert slack.calls_to("auth.test")[0].token == TOKEN


async def test_a_wrong_or_missing_token_is_invalid_auth(slack: FakeSlack) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url, retry_handlers=[])
    anonymous = AsyncWebClient(base_url=slack.base_url, retry_handlers=[])

    assert await _error_of(wrong.auth_test()) == "invalid_auth"
    assert await _error_of(anonymous.auth_test()) == "invalid_auth"
    assert [call.token for call in slack.calls] == ["xoxb-wrong", None]


async def test_unknown_methods_are_refused(client: AsyncWebClient) -> None:
    assert await _error_of(client.api_call("chat.teleport")) == "unknown_method"


async def test_form_encoded_calls_with_a_token_argument_are_understood(slack: FakeSlack) -> None:
    form = {"token": TOKEN, "channel": "C1", "text": "hi", "blocks": json.dumps([SECTION])}

    response = await _raw_post(slack, "chat.postMessage", data=form)

    assert (await response.json())["ok"] is True
    call = slack.calls_to("chat.postMessage")[0]
    assert call.token == TOKEN
    assert "token" not in call.args
    assert call.args["channel"] == "C1"


async def test_post_message_gives_unique_increasing_ts_and_keeps_the_message(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    first = await client.chat_postMessage(channel="C1", text="one", blocks=[SECTION])
    second = await client.chat_postMessage(channel="C1", text="two")

    assert first["ts"] < second["ts"]
    assert len(first["ts"].split(".")[1]) == 6
    assert first["message"]["blocks"] == [SECTION]
    assert slack.message("C1", second["ts"])["text"] == "two"
    assert slack.problems == []


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3000"),
        ([SECTION] * 51, "at most 50"),
        ([{"type": "teleporter"}], "unknown block type"),
        ("[not json", "not a JSON array"),
        ([{"type": "section"}], "text or fields"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Go"},
                            "action_id": "a" * 256,
                        }
                    ],
                }
            ],
            "action_id",
        ),
        ([{"type": "actions", "elements": [{"type": "teleport"}]}], "unknown element"),
        (
            [
                {
                    "type": "input",
                    "label": {"type": "plain_text", "text": "Caption"},
                    "element": {"type": "plain_text_input", "action_id": "c", "max_length": 5000},
                }
            ],
            "max_length",
        ),
    ],
)
async def test_invalid_blocks_are_refused_and_recorded(
    slack: FakeSlack, client: AsyncWebClient, blocks: Any, problem: str
) -> None:
    with slack.expect("invalid_blocks"):
        error = await _error_of(client.chat_postMessage(channel="C1", text="x", blocks=blocks))

    assert error == "invalid_blocks"
    assert any(problem in recorded for recorded in slack.problems), slack.problems
    assert slack.messages == {}


async def test_messages_need_a_channel_and_text_or_blocks(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    with slack.expect("invalid_arguments"):
        missing = await _error_of(client.api_call("chat.postMessage", json={"text": "x"}))
    with slack.expect("channel_not_found"):
        blank = await _error_of(
            client.api_call("chat.postMessage", json={"channel": "", "text": "x"})
        )
    with slack.expect("no_text"):
        empty = await _error_of(client.api_call("chat.postMessage", json={"channel": "C1"}))

    assert (missing, blank, empty) == ("invalid_arguments", "channel_not_found", "no_text")
    assert len(slack.problems) == 3


async def test_a_malformed_json_body_is_invalid_json(slack: FakeSlack) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    with slack.expect("invalid_json"):
        response = await _raw_post(slack, "chat.postMessage", data=b"{nope", headers=headers)

    assert (await response.json())["error"] == "invalid_json"
    assert slack.calls[0].error == "invalid_json"
    assert slack.problems != []


async def test_update_ephemeral_and_delete(slack: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C1", text="before")

    updated = await client.chat_update(channel="C1", ts=posted["ts"], text="after")
    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="psst")

    assert updated["message"]["text"] == "after"
    assert slack.message("C1", posted["ts"])["text"] == "after"
    assert ephemeral["message_ts"] > posted["ts"]
    await client.chat_delete(channel="C1", ts=posted["ts"])
    assert slack.messages == {}
    missing = client.chat_update(channel="C1", ts=posted["ts"], text="again")
    assert await _error_of(missing) == "message_not_found"


async def test_conversations_open_gives_a_dm_channel(client: AsyncWebClient) -> None:
    response = await client.conversations_open(users="U123")

    assert response["channel"]["id"] == "DU123"


async def test_views_open_publish_and_update(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.views_open(trigger_id=slack.trigger_id("U1"), view=MODAL)
    view_id = opened["view"]["id"]

    home = {"type": "home", "blocks": [SECTION]}
    published = await client.views_publish(user_id="U1", view=home)
    republished = await client.views_publish(user_id="U1", view=home)
    updated = await client.views_update(view_id=view_id, view={**MODAL, "callback_id": "share"})

    assert view_id.startswith("V")
    assert opened["view"]["title"]["text"] == "Share"
    assert published["view"]["id"] == republished["view"]["id"] != view_id
    assert updated["view"]["id"] == view_id
    assert slack.views[view_id]["callback_id"] == "share"
    stale = client.views_update(view_id=view_id, view=MODAL, hash="stale")
    assert await _error_of(stale) == "hash_conflict"
    assert slack.problems == []


@pytest.mark.parametrize(
    ("view", "problem"),
    [
        ({**MODAL, "title": {"type": "plain_text", "text": "t" * 25}}, "title"),
        ({**MODAL, "blocks": [SECTION] * 101}, "at most 100"),
        ({**MODAL, "blocks": [{"type": "section"}]}, "text or fields"),
    ],
)
async def test_invalid_views_are_refused_and_recorded(
    slack: FakeSlack, client: AsyncWebClient, view: dict[str, Any], problem: str
) -> None:
    with slack.expect("invalid_blocks"):
        error = await _error_of(client.views_open(trigger_id=slack.trigger_id("U1"), view=view))

    assert error == "invalid_blocks"
    assert any(problem in recorded for recorded in slack.problems), slack.problems


async def test_users_info_and_lookup_by_email(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_user("U1", locale="nl-NL", tz="Europe/Amsterdam", name="anna", email="a@example.com")

    with_locale = await client.users_info(user="U1", include_locale=True)
    without_locale = await client.users_info(user="U1")
    by_email = await client.users_lookupByEmail(email="A@example.com")

    assert with_locale["user"]["locale"] == "nl-NL"
    assert with_locale["user"]["tz"] == "Europe/Amsterdam"
    assert with_locale["user"]["tz_offset"] in (3600, 7200)
    assert "locale" not in without_locale["user"]
    assert by_email["user"]["id"] == "U1"
    assert await _error_of(client.users_info(user="U404")) == "user_not_found"
    assert await _error_of(client.users_lookupByEmail(email="x@y.z")) == "users_not_found"


async def test_team_info(client: AsyncWebClient) -> None:
    response = await client.team_info()

    assert response["team"]["id"] == "T-TEST"


async def test_files_upload_v2_round_trip(slack: FakeSlack, client: AsyncWebClient) -> None:
    content = b"name,shares\nanna,3\n" * 1000

    response = await client.files_upload_v2(
        channel="DU1", content=content, filename="export.csv", title="Export"
    )

    file_id = response["file"]["id"]
    assert slack.files[file_id]["data"] == content
    assert response["file"]["title"] == "Export"
    assert response["file"]["channels"] == ["DU1"]
    assert [call.method for call in slack.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert slack.problems == []


async def test_fail_next_answers_the_error_the_given_number_of_times(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail_next("auth.test", "team_not_found", times=2)

    assert await _error_of(client.auth_test()) == "team_not_found"
    assert await _error_of(client.auth_test()) == "team_not_found"
    assert (await client.auth_test())["ok"] is True
    assert [call.ok for call in slack.calls_to("auth.test")] == [False, False, True]
    assert len(slack.calls_to("auth.test", ok=True)) == 1


async def test_rate_limit_next_answers_429_with_retry_after(slack: FakeSlack) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    form = {"token": TOKEN, "channel": "C1", "text": "hi"}

    limited = await _raw_post(slack, "chat.postMessage", data=form)
    passed = await _raw_post(slack, "chat.postMessage", data=form)

    assert (limited.status, limited.headers["Retry-After"]) == (429, "7")
    assert passed.status == 200
    assert [call.status for call in slack.calls] == [429, 200]


async def test_server_error_next_answers_the_status(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.server_error_next("auth.test", status=503)

    with pytest.raises(SlackApiError) as caught:
        await client.auth_test()

    assert caught.value.response.status_code == 503
    assert (await client.auth_test())["ok"] is True


async def test_rate_limit_per_second_is_a_token_bucket(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.rate_limit_per_second = 2.0
    statuses = []
    for _ in range(4):
        try:
            await client.chat_postMessage(channel="C1", text="hi")
            statuses.append(200)
        except SlackApiError as error:
            statuses.append(error.response.status_code)
            assert int(error.response.headers["Retry-After"]) >= 1

    assert statuses[:2] == [200, 200]
    assert 429 in statuses[2:]
    assert (await client.auth_test())["ok"] is True  # other tiers are not posting


async def test_latency_delays_every_answer() -> None:
    async with FakeSlack(latency=0.05) as slack:
        client = AsyncWebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[])
        started = time.monotonic()
        await client.auth_test()

        assert time.monotonic() - started >= 0.05


async def test_unstarted_fake_has_no_base_url() -> None:
    with pytest.raises(RuntimeError):
        _ = FakeSlack().base_url
