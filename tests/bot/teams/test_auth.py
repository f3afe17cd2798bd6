"""With Teams credentials each request needs a Bot Framework token; without, loopback only."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator
from pydantic import SecretStr

from bot.server import create_app
from bot.teams import setup
from bot.teams.cloud import TeamsCredentials, Unauthorized, auth_configuration, authorize
from bot.teams.settings import TeamsSettings
from handlers.context import Services

APP_ID = "5a1f8f2e-0000-4000-8000-00000000a11d"
TENANT = "3c2b1a00-0000-4000-8000-0000000000aa"
BOT_FRAMEWORK = "https://api.botframework.com"
SIGNER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)

ACTIVITY = {
    "type": "message",
    "id": "m1",
    "channelId": "msteams",
    "serviceUrl": "https://smba.trafficmanager.net/emea/",
    "from": {"id": "29:u", "aadObjectId": "6f0f2a9e-1c4b-4d8e-9a51-0c2b1d3e4f5a"},
    "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": TENANT},
    "recipient": {"id": f"28:{APP_ID}"},
    "text": "help",
}


def settings(**values: Any) -> TeamsSettings:
    return TeamsSettings(_env_file=None, **values)


def with_credentials() -> TeamsSettings:
    return settings(app_id=APP_ID, app_password=SecretStr("s3cret"), tenant_id=TENANT)


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(services)
    setup.register(app, settings=with_credentials(), services=services)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
def signing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Key discovery (Microsoft's JWKS endpoint) answers with our test signer's public key."""

    async def signing_key(jwks_uri: str, header: dict[str, Any]) -> Any:
        return SIGNER.public_key()

    monkeypatch.setattr(JwtTokenValidator._jwk_client_manager, "get_signing_key", signing_key)


def token(*, key: rsa.RSAPrivateKey = SIGNER, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": BOT_FRAMEWORK, "aud": APP_ID, "nbf": now - 60, "exp": now + 600, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "test-key"})


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer a b"]
)
async def test_requests_without_a_valid_token_are_refused(
    client: TestClient[Any, Any], header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = await client.post("/api/messages", json=ACTIVITY, headers=headers)
    assert response.status == 401
    assert await response.json() == {"error": "unauthorized"}


async def test_a_token_from_another_signer_or_for_another_bot_is_refused(
    client: TestClient[Any, Any], signing_keys: None
) -> None:
    for bad in (
        token(key=STRANGER),
        token(aud="some-other-bot"),
        token(exp=int(time.time()) - 900),
    ):
        response = await client.post(
            "/api/messages", json=ACTIVITY, headers={"Authorization": f"Bearer {bad}"}
        )
        assert response.status == 401


async def test_a_bot_framework_token_for_this_bot_is_accepted(signing_keys: None) -> None:
    configuration = auth_configuration(TeamsCredentials(APP_ID, "s3cret", TENANT))
    identity = await authorize(configuration, f"Bearer {token()}", peer="203.0.113.7")
    assert identity.get_claim_value("aud") == APP_ID
    assert not identity.allow_anonymous


async def test_anonymous_local_mode_serves_only_this_machine() -> None:
    configuration = auth_configuration(None)
    assert (await authorize(configuration, None, peer="127.0.0.1")).allow_anonymous
    assert (await authorize(configuration, None, peer="::1")).allow_anonymous
    for peer in ("203.0.113.7", "10.0.0.8", None, "not-an-address"):
        with pytest.raises(Unauthorized):
            await authorize(configuration, None, peer=peer)


def test_half_a_registration_is_refused_at_start() -> None:
    assert setup.credentials_from(settings()) is None
    assert setup.credentials_from(with_credentials()) == TeamsCredentials(APP_ID, "s3cret", TENANT)
    with pytest.raises(ValueError, match="TEAMS_APP_PASSWORD, TEAMS_TENANT_ID"):
        setup.credentials_from(settings(app_id=APP_ID))


async def test_the_adapter_and_its_messenger_are_kept_on_the_app(services: Services) -> None:
    app = create_app(services)
    adapter = setup.register(app, settings=settings(), services=services)
    assert app[setup.TEAMS_ADAPTER] is adapter
    assert adapter.anonymous is True
    assert adapter.messenger is not None
