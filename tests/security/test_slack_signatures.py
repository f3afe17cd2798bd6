"""Forged, stale, tampered and missing Slack signatures on every kind of request: refused, no
trace left (no Web API call, no row)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from content_store.models import Base
from handlers.context import Services
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signed import listeners_done
from tests.bot.slack.test_slack_app import SECRET
from tests.factories import WORKSPACE

pytestmark = pytest.mark.security

FORM = "application/x-www-form-urlencoded"


def _event(respond: str) -> tuple[str, str]:
    body = {
        "team_id": WORKSPACE,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": "Ev-forged",
        "event_time": int(time.time()),
        "event": {"type": "message", "channel_type": "im", "user": "U1", "text": "in"},
    }
    return json.dumps(body), "application/json"


def _challenge(respond: str) -> tuple[str, str]:
    return json.dumps({"type": "url_verification", "challenge": "abc", "token": "x"}), (
        "application/json"
    )


def _command(respond: str) -> tuple[str, str]:
    fields = {"command": "/boost", "text": "in", "user_id": "U1", "team_id": WORKSPACE}
    return urlencode({**fields, "trigger_id": "t", "response_url": respond}), FORM


def _interaction(respond: str) -> tuple[str, str]:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": WORKSPACE},
        "response_url": respond,
        "actions": [
            {"action_id": "programme.answer", "value": "in", "block_id": "b", "type": "button"}
        ],
    }
    return urlencode({"payload": json.dumps(payload)}), FORM


def _submission(respond: str) -> tuple[str, str]:
    # The one dialog the app opens: a personal version or a share panel, closed with Done.
    view = {"id": "V1", "type": "modal", "callback_id": "personal.view", "private_metadata": ""}
    payload = {"type": "view_submission", "user": {"id": "U1"}, "team": {"id": WORKSPACE}}
    return urlencode({"payload": json.dumps({**payload, "view": view})}), FORM


BODIES = {
    "event": _event,
    "url_verification": _challenge,
    "command": _command,
    "block_actions": _interaction,
    "view_submission": _submission,
}


def _sign(body: str, *, stamp: int, secret: str = SECRET) -> dict[str, str]:
    signature = str(SignatureVerifier(secret).generate_signature(timestamp=str(stamp), body=body))
    return {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": signature}


def _forgeries(body: str) -> dict[str, dict[str, str]]:
    now = int(time.time())
    good = _sign(body, stamp=now)
    return {
        "missing": {},
        "signature only": {"X-Slack-Signature": good["X-Slack-Signature"]},
        "timestamp only": {"X-Slack-Request-Timestamp": str(now)},
        "garbage": {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=forged"},
        "empty": {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
        "wrong secret": _sign(body, stamp=now, secret="guessed"),
        "stale": _sign(body, stamp=now - 6 * 60),
        "from the future": _sign(body, stamp=now + 6 * 60),
        "non-numeric time": {**good, "X-Slack-Request-Timestamp": "now"},
        "other body": _sign(body + "&x=1", stamp=now),
        "v1 scheme": {**good, "X-Slack-Signature": good["X-Slack-Signature"].replace("v0", "v1")},
        "upper-case hex": {**good, "X-Slack-Signature": good["X-Slack-Signature"].upper()},
    }


async def _rows(services: Services) -> int:
    async with services.db.session() as session:
        total = 0
        for table in Base.metadata.sorted_tables:
            total += int(await session.scalar(select(func.count()).select_from(table)) or 0)
    return total


@pytest.mark.parametrize("kind", list(BODIES))
async def test_every_forgery_on_every_request_kind_is_refused_without_a_trace(
    client: TestClient[Any, Any], slack: FakeSlack, services: Services, kind: str
) -> None:
    body, content_type = BODIES[kind](slack.response_url("x"))
    for name, headers in _forgeries(body).items():
        response = await client.post(
            "/slack/events", data=body, headers={**headers, "Content-Type": content_type}
        )
        assert response.status == 401, name
        assert "abc" not in await response.text()  # the challenge is not echoed either
    await listeners_done(client)  # a refused request starts nothing, not even later
    assert slack.calls == []
    assert await _rows(services) == 0


@pytest.mark.parametrize("kind", list(BODIES))
async def test_the_same_requests_correctly_signed_are_accepted(
    client: TestClient[Any, Any], slack: FakeSlack, kind: str
) -> None:
    """The control for the test above: it is the signature, not the body, that was refused."""
    body, content_type = BODIES[kind](slack.response_url("x"))
    headers = {**_sign(body, stamp=int(time.time())), "Content-Type": content_type}
    response = await client.post("/slack/events", data=body, headers=headers)
    assert response.status == 200
    await listeners_done(client)  # before the tables are emptied
