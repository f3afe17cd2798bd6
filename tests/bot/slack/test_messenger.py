"""SlackMessenger through the real AsyncWebClient against the fake Slack Web API."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)

from bot.slack.messenger import (
    PERMANENT_ERRORS,
    DeliveryFailed,
    SlackMessenger,
    SlackProfile,
    build_web_client,
    split_message_id,
    user_profile,
)
from handlers.types import Attachment, DeliveryError, Messenger, Reply, Text
from tests.bot.slack.fake_slack import FakeSlack

TOKEN = "xoxb-1234-5678-s3cr3tT0k3n"


def render(reply: Reply) -> tuple[str, list[dict[str, Any]]]:
    """A stand-in renderer: one section block per paragraph."""
    texts = [block.text for block in reply.blocks if isinstance(block, Text)]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in texts]
    return " ".join(texts), blocks


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=TOKEN) as fake:
        fake.add_user("U1", locale="nl-NL", tz="Europe/Amsterdam", name="anna", email="a@x.nl")
        yield fake


def _messenger(slack: FakeSlack, *, token: str = TOKEN, max_retries: int = 3) -> SlackMessenger:
    client = build_web_client(token=token, base_url=slack.base_url, max_retries=max_retries)
    return SlackMessenger(client=client, render=render)


async def _send(messenger: SlackMessenger, text: str = "Your picks") -> str:
    return await messenger.send_to_user(workspace_id="T-TEST", user_id="U1", reply=Reply.text(text))


async def test_send_to_user_posts_the_rendered_reply_in_one_call(slack: FakeSlack) -> None:
    message_id = await _send(_messenger(slack))

    channel, ts = split_message_id(message_id, conversation_id="")
    assert [call.method for call in slack.calls] == ["chat.postMessage"]
    post = slack.calls[0].args
    assert (post["channel"], post["text"]) == ("U1", "Your picks")
    assert post["blocks"][0]["text"]["text"] == "Your picks"
    # The id names the DM channel Slack answered with, which chat.update needs later.
    assert channel == "DU1"
    assert slack.message(channel, ts)["text"] == "Your picks"
    assert slack.problems == []


async def test_a_later_post_goes_to_the_dm_channel_slack_answered_with(slack: FakeSlack) -> None:
    messenger = _messenger(slack)

    await _send(messenger)
    await _send(messenger)

    assert slack.calls_to("conversations.open") == []
    assert [call.args["channel"] for call in slack.calls_to("chat.postMessage")] == ["U1", "DU1"]


async def test_a_reply_with_files_opens_the_dm_before_posting(slack: FakeSlack) -> None:
    attachment = Attachment("export.csv", b"a,b\n", "Export")
    reply = Reply(blocks=(Text("Your export"),), files=(attachment,))

    await _messenger(slack).send_to_user(workspace_id="T-TEST", user_id="U1", reply=reply)

    assert [call.method for call in slack.calls][:2] == ["conversations.open", "chat.postMessage"]
    assert slack.calls_to("chat.postMessage")[0].args["channel"] == "DU1"


async def test_send_to_channel_posts_there(slack: FakeSlack) -> None:
    reply = Reply.text("New content")

    message_id = await _messenger(slack).send_to_channel(
        workspace_id="T-TEST", channel_id="C42", reply=reply
    )

    assert message_id.startswith("C42:")
    assert [call.method for call in slack.calls] == ["chat.postMessage"]


async def test_attachments_are_uploaded_to_the_same_conversation(slack: FakeSlack) -> None:
    attachment = Attachment("export.csv", b"a,b\n1,2\n", "Export")
    reply = Reply(blocks=(Text("Your export"),), files=(attachment,))

    await _messenger(slack).send_to_user(workspace_id="T-TEST", user_id="U1", reply=reply)

    (file,) = slack.files.values()
    assert (file["data"], file["title"], file["channels"]) == (b"a,b\n1,2\n", "Export", ["DU1"])
    assert slack.problems == []


async def test_a_429_is_waited_out_then_delivered_once(slack: FakeSlack) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=1)
    started = time.monotonic()

    await _send(_messenger(slack))

    assert time.monotonic() - started >= 1.0
    limited, delivered = slack.calls_to("chat.postMessage")
    assert (limited.status, delivered.status) == (429, 200)
    assert delivered.at - limited.at >= 1.0
    assert len(slack.messages) == 1


async def test_a_server_error_is_retried_then_delivered_once(slack: FakeSlack) -> None:
    slack.server_error_next("chat.postMessage", status=500)

    await _send(_messenger(slack))

    assert [call.status for call in slack.calls_to("chat.postMessage")] == [500, 200]
    assert len(slack.messages) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "account_inactive", "invalid_auth"])
async def test_a_permanent_error_fails_at_once_without_retries(
    slack: FakeSlack, error: str
) -> None:
    slack.fail_next("chat.postMessage", error, times=10)

    with pytest.raises(DeliveryFailed) as caught:
        await _send(_messenger(slack))

    assert (caught.value.error, caught.value.permanent) == (error, True)
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_an_unknown_person_is_a_permanent_failure(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", "user_not_found")

    with pytest.raises(DeliveryError) as caught:
        await _send(_messenger(slack))

    assert caught.value.permanent is True
    assert len(slack.calls_to("chat.postMessage")) == 1 and slack.messages == {}


async def test_other_errors_are_transient(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", "fatal_error")

    with pytest.raises(DeliveryFailed) as caught:
        await _send(_messenger(slack, max_retries=0))

    assert (caught.value.error, caught.value.permanent) == ("fatal_error", False)
    assert caught.value.in_doubt  # Slack may have posted it all the same
    assert "fatal_error" not in PERMANENT_ERRORS


@pytest.mark.parametrize("failure", ["internal_error", "fatal_error", "dropped"])
async def test_a_post_answered_with_a_failure_after_it_went_out_is_found_not_repeated(
    slack: FakeSlack, failure: str
) -> None:
    """Regression (issue 16 item 5): the client's retry handlers posted again."""
    slack.done_then_failed("chat.postMessage", share=1.0, kinds=(failure,))

    message_id = await _send(_messenger(slack))

    assert len(slack.calls_to("chat.postMessage")) == 1
    assert [message["ts"] for message in slack.sent_to("U1")] == [message_id.split(":")[1]]
    assert slack.ambiguous == {failure: 1}


async def test_a_post_that_did_not_go_out_is_tried_again_after_looking(slack: FakeSlack) -> None:
    slack.server_error_next("chat.postMessage", times=2, status=500)

    await _send(_messenger(slack, max_retries=2))

    methods = [call.method for call in slack.calls if call.method != "conversations.open"]
    assert methods == ["chat.postMessage", "conversations.history"] * 2 + ["chat.postMessage"]
    assert len(slack.sent_to("U1")) == 1


async def test_a_rate_limit_outlasting_the_retries_is_transient_with_retry_after(
    slack: FakeSlack,
) -> None:
    slack.rate_limit_next("chat.postMessage", times=5, retry_after=1)

    with pytest.raises(DeliveryFailed) as caught:
        await _send(_messenger(slack, max_retries=1))

    failure = caught.value
    assert (failure.error, failure.permanent, failure.retry_after) == ("ratelimited", False, 1.0)
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_an_unreachable_slack_is_a_transient_failure(slack: FakeSlack) -> None:
    base_url = slack.base_url
    await slack.stop()
    client = build_web_client(token=TOKEN, base_url=base_url, max_retries=0)

    with pytest.raises(DeliveryFailed) as caught:
        await SlackMessenger(client=client, render=render).send_to_channel(
            workspace_id="T-TEST", channel_id="C1", reply=Reply.text("hi")
        )

    assert caught.value.permanent is False
    assert caught.value.error.startswith("connection_error")


async def test_update_edits_the_right_message(slack: FakeSlack) -> None:
    messenger = _messenger(slack)
    first = await _send(messenger, "first")
    second = await _send(messenger, "second")

    await messenger.update(
        workspace_id="T-TEST", conversation_id="U1", message_id=first, reply=Reply.text("edited")
    )

    (call,) = slack.calls_to("chat.update")
    assert f"{call.args['channel']}:{call.args['ts']}" == first
    assert slack.message(*first.split(":"))["text"] == "edited"
    assert slack.message(*second.split(":"))["text"] == "second"


async def test_update_accepts_a_bare_ts_with_its_conversation(slack: FakeSlack) -> None:
    messenger = _messenger(slack)
    channel, ts = (await _send(messenger)).split(":")

    await messenger.update(
        workspace_id="T-TEST", conversation_id=channel, message_id=ts, reply=Reply.text("new")
    )

    assert slack.message(channel, ts)["text"] == "new"


async def test_updating_a_vanished_message_is_permanent(slack: FakeSlack) -> None:
    with pytest.raises(DeliveryFailed) as caught:
        await _messenger(slack).update(
            workspace_id="T-TEST", conversation_id="", message_id="DU1:1.2", reply=Reply.text("x")
        )

    assert (caught.value.error, caught.value.permanent) == ("message_not_found", True)


async def test_the_token_never_reaches_the_logs(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    slack.server_error_next("chat.postMessage")
    await _send(_messenger(slack))
    slack.fail_next("chat.postMessage", "channel_not_found")

    with pytest.raises(DeliveryFailed) as caught:
        await _send(_messenger(slack))

    # The client's own debug lines (request headers included) were captured and checked too.
    assert any("Authorization" in record.getMessage() for record in caplog.records)
    assert any("chat.postMessage failed" in record.getMessage() for record in caplog.records)
    assert TOKEN not in caplog.text
    assert TOKEN not in str(caught.value)
    assert "s3cr3t" not in caplog.text


async def test_user_profile_reads_locale_time_zone_name_and_email(slack: FakeSlack) -> None:
    client = build_web_client(token=TOKEN, base_url=slack.base_url)

    profile = await user_profile(client, "U1")

    assert profile == SlackProfile(
        locale="nl-NL", tz="Europe/Amsterdam", name="anna", email="a@x.nl"
    )


async def test_user_profile_without_email_or_of_nobody(slack: FakeSlack) -> None:
    slack.add_user("U2", locale="en-GB", tz="Europe/London", name="bo")
    client = build_web_client(token=TOKEN, base_url=slack.base_url)

    assert (await user_profile(client, "U2")).email is None
    with pytest.raises(DeliveryFailed) as caught:
        await user_profile(client, "U404")
    assert (caught.value.error, caught.value.permanent) == ("user_not_found", True)


def test_build_web_client_retries_rate_limits_server_and_connection_errors() -> None:
    client = build_web_client(token=TOKEN, max_retries=4)

    kinds = {
        type(getattr(handler, "_inner", handler)): handler.max_retry_count
        for handler in client.retry_handlers
    }
    assert kinds == {
        AsyncRateLimitErrorRetryHandler: 4,
        AsyncServerErrorRetryHandler: 4,
        AsyncConnectionErrorRetryHandler: 4,
    }
    assert client.base_url == "https://slack.com/api/"
    assert build_web_client(token=TOKEN, base_url="http://h/api").base_url == "http://h/api/"


async def test_slack_messenger_is_a_messenger(slack: FakeSlack) -> None:
    messenger: Messenger = _messenger(slack)

    assert isinstance(messenger, SlackMessenger)
