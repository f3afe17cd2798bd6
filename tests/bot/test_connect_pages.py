"""The connect pages over HTTP: LinkedIn's round trip to the callback, and the Bluesky form."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.server import create_app
from content_store.models import ConnectedAccount
from handlers import accounts
from handlers.context import Services
from tests.factories import actor
from tests.publishing.fakes import FakeBluesky, FakeLinkedIn
from tests.publishing.fixtures import APP_PASSWORD, HANDLE, MAIN_PASSWORD
from tests.publishing.helpers import button, follow, with_accounts


@pytest.fixture
async def served(
    services: Services, fake_linkedin: FakeLinkedIn, fake_bluesky: FakeBluesky
) -> AsyncIterator[tuple[Services, str]]:
    wired = with_accounts(services, linkedin=fake_linkedin, bluesky=fake_bluesky)
    server = TestServer(create_app(wired), host="127.0.0.1")
    await server.start_server()
    try:
        yield wired, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def _stored(services: Services) -> list[ConnectedAccount]:
    async with services.db.session() as session:
        return list((await session.execute(select(ConnectedAccount))).scalars())


async def test_linkedin_round_trip_ends_on_the_callback_page(
    served: tuple[Services, str], fake_linkedin: FakeLinkedIn
) -> None:
    services, url = served
    page = await accounts.accounts_page(services, actor())
    connect = button(page, "Connect LinkedIn").url or ""
    answer = await follow(connect, public_base_url=services.public_base_url, served_at=url)
    assert answer.status == 200, fake_linkedin.refusals
    assert "/oauth/linkedin/callback" in str(answer.url)
    assert "Your LinkedIn account is connected" in await answer.text()
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"
    [account] = await _stored(services)
    assert account.external_id == fake_linkedin.member_sub
    # The link is used up: opening it again connects nothing.
    again = await follow(connect, public_base_url=services.public_base_url, served_at=url)
    assert again.status == 404 and "expired or was already used" in await again.text()


async def test_a_forged_callback_is_refused(served: tuple[Services, str]) -> None:
    services, url = served
    async with aiohttp.ClientSession() as session:
        callback = f"{url}/oauth/linkedin/callback?code=abc&state={'x' * 43}"
        async with session.get(callback) as answer:
            assert answer.status == 404
    assert await _stored(services) == []


async def test_the_bluesky_form_asks_for_an_app_password_never_the_main_one(
    served: tuple[Services, str], fake_bluesky: FakeBluesky
) -> None:
    services, url = served
    page = await accounts.accounts_page(services, actor())
    connect = (button(page, "Connect Bluesky").url or "").replace(services.public_base_url, url)
    async with aiohttp.ClientSession() as session:
        async with session.get(connect) as form:
            text = await form.text()
            assert form.status == 200 and 'type="password"' in text
            assert "app password" in text.lower() and "never" in text.lower()
        main = {"handle": HANDLE, "app_password": MAIN_PASSWORD}
        async with session.post(connect, data=main) as refused:
            said = await refused.text()
            assert refused.status == 400 and "did not accept" in said
            # The handle is kept for the second try; no password is ever sent back.
            assert f'value="{HANDLE}"' in said and MAIN_PASSWORD not in said
        tricky = {"handle": '"><script>x</script>', "app_password": "wrong"}
        async with session.post(connect, data=tricky) as escaped:
            assert "<script>" not in await escaped.text()
        assert await _stored(services) == []
        right = {"handle": HANDLE, "app_password": APP_PASSWORD}
        async with session.post(connect, data=right) as done:
            assert done.status == 200 and "Bluesky account is connected" in await done.text()
        async with session.post(connect, data=right) as reused:
            assert reused.status == 404
    [account] = await _stored(services)
    assert account.display_name == HANDLE
    assert APP_PASSWORD.encode() not in account.access_token


def test_codes_states_and_connect_links_are_redacted_from_logs() -> None:
    from bot.logging_setup import redact

    line = (
        "GET /oauth/linkedin/callback?code=AQTsecretcode&state=abcDEF123_-xyz HTTP/1.1 "
        "then GET /connect/bluesky/abcdefghijklmnopqrstuvwxyz0123 and app_password=x1"
    )
    shown = redact(line)
    for secret in ("AQTsecretcode", "abcDEF123_-xyz", "abcdefghijklmnopqrstuvwxyz0123", "x1"):
        assert secret not in shown, shown
