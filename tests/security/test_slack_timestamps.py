"""Odd X-Slack-Request-Timestamp headers on unsigned requests: a 401, never a 500 (issue 16.3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient

from bot.slack.request_checks import plausible_timestamp
from tests.bot.slack.fake_slack import FakeSlack
from tests.factories import WORKSPACE

pytestmark = pytest.mark.security

ODD_TIMESTAMPS = {
    "huge": "1" + "0" * 400,  # int() takes it, the float subtraction overflows
    "superscript two": "²",  # isdigit() says yes, int() says no
    "arabic-indic digits": "١٧٠٠٠٠٠٠٠٠",  # int() reads these as 1700000000
    "thirteen digits": "1" * 13,
    "underscored": "1_700_000_000",
    "negative": "-1",
    "exponent": "1e9",
    "fraction": "1700000000.5",
}


@pytest.mark.parametrize("name", list(ODD_TIMESTAMPS))
async def test_an_odd_timestamp_is_refused_with_401(
    client: TestClient[Any, Any], slack: FakeSlack, name: str
) -> None:
    body = urlencode({"command": "/boost", "text": "in", "user_id": "U1", "team_id": WORKSPACE})
    headers = {
        "X-Slack-Request-Timestamp": ODD_TIMESTAMPS[name],
        "X-Slack-Signature": "v0=" + "0" * 64,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    response = await client.post("/slack/events", data=body, headers=headers)
    assert response.status == 401
    assert "Traceback" not in await response.text()


@pytest.mark.parametrize("value", ["1700000000", " 1700000000 ", "0"])
def test_plain_unix_seconds_pass_the_check(value: str) -> None:
    assert plausible_timestamp(value)


@pytest.mark.parametrize("value", [None, "", *ODD_TIMESTAMPS.values()])
def test_anything_else_fails_the_check(value: str | None) -> None:
    assert not plausible_timestamp(value)
