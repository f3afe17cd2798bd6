"""With Teams credentials set, every token that is not Microsoft's, for this bot, now, is refused
before anything runs — including from loopback, where local mode would let requests in."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.server import create_app
from bot.teams import setup
from content_store.models import Base
from handlers.context import Services
from tests.bot.teams.test_auth import ACTIVITY, APP_ID, STRANGER, token, with_credentials
from tests.bot.teams.test_auth import signing_keys as signing_keys

pytestmark = pytest.mark.security


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(services)
    setup.register(app, settings=with_credentials(), services=services)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def _unsigned(**claims: Any) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    body = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": now + 600, **claims}
    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'test-key'})}.{part(body)}."


def _forged() -> dict[str, str]:
    now = int(time.time())
    hs_claims = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": now + 600}
    return {
        "alg none": _unsigned(),
        "HS256 with the app password": jwt.encode(hs_claims, "s3cret", algorithm="HS256"),
        "another signer": token(key=STRANGER),
        "another audience": token(aud="some-other-bot"),
        "no audience": token(aud=None),
        "another issuer": token(iss="https://evil.example"),
        "expired": token(exp=now - 900),
        "not yet valid": token(nbf=now + 900),
        "no expiry": token(exp=None),
        "tampered payload": _tampered(token()),
    }


def _tampered(good: str) -> str:
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["aud"] = "another-bot"
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{changed}.{signature}"


async def _rows(services: Services) -> int:
    async with services.db.session() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        ]
    return sum(int(count or 0) for count in counts)


@pytest.mark.usefixtures("signing_keys")
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # forged on purpose
async def test_every_bad_token_is_refused_and_nothing_is_stored(
    client: TestClient[Any, Any], services: Services
) -> None:
    for name, bad in _forged().items():
        response = await client.post(
            "/api/messages", json=ACTIVITY, headers={"Authorization": f"Bearer {bad}"}
        )
        assert response.status == 401, name
    assert await _rows(services) == 0


async def test_loopback_without_a_token_is_refused_once_credentials_are_set(
    client: TestClient[Any, Any], services: Services
) -> None:
    response = await client.post("/api/messages", json=ACTIVITY)  # from 127.0.0.1
    assert response.status == 401
    assert await _rows(services) == 0


@pytest.mark.usefixtures("signing_keys")
async def test_a_good_token_passes_the_gate(client: TestClient[Any, Any]) -> None:
    """The control: the same request with Microsoft's token for this bot is not refused."""
    response = await client.post(
        "/api/messages", json=ACTIVITY, headers={"Authorization": f"Bearer {token()}"}
    )
    assert response.status != 401
