"""Services wired to the fake networks, and a browser that follows the connect round trip."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import parse_qs, urlsplit

import aiohttp

from content_store.token_box import TokenBox
from handlers import accounts
from handlers.accounts import Outcome
from handlers.context import Services
from handlers.types import Actions, Actor, Button, Reply
from publishing.bluesky import BlueskyConfig
from publishing.config import AccountsConfig
from publishing.linkedin import LinkedInConfig
from tests.publishing.fakes import FakeBluesky, FakeLinkedIn

SECRET = b"a server secret for tests"


def with_accounts(
    services: Services, *, linkedin: FakeLinkedIn | None, bluesky: FakeBluesky | None
) -> Services:
    """The services with LinkedIn and/or Bluesky connectable, at the fakes."""
    config = AccountsConfig(
        linkedin=LinkedInConfig(
            client_id=linkedin.client_id,
            client_secret=linkedin.client_secret,
            auth_url=linkedin.base_url,
            api_url=linkedin.base_url,
            retry_wait_seconds=0.01,
        )
        if linkedin
        else None,
        bluesky=BlueskyConfig(service_url=bluesky.base_url, retry_wait_seconds=0.01)
        if bluesky
        else None,
        box=TokenBox.from_settings(listed="", secret_key=SECRET),
        pkce_key=b"pkce key for tests",
    )
    return dataclasses.replace(services, accounts=config, secret_key=SECRET)


def buttons(reply: Reply) -> list[Button]:
    """Every button of a reply, whichever block holds it."""
    found: list[Button] = []
    for block in reply.blocks:
        if isinstance(block, Actions):
            found += block.buttons
        found += list(getattr(block, "actions", ()))
    return found


def button(reply: Reply, label: str) -> Button:
    """The one button whose label contains `label`."""
    matches = [b for b in buttons(reply) if label in b.label]
    assert len(matches) == 1, [b.label for b in buttons(reply)]
    return matches[0]


def state_of(connect_url: str) -> str:
    """The secret of a connect link."""
    found = re.search(r"/connect/\w+/([\w-]+)$", urlsplit(connect_url).path)
    assert found, connect_url
    return found.group(1)


async def follow(url: str, *, public_base_url: str, served_at: str) -> aiohttp.ClientResponse:
    """A browser opening `url` and following redirects by hand, reaching the bot's public
    address (which only exists in DNS in production) at the test server instead."""
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            if url.startswith(public_base_url):
                url = served_at + url.removeprefix(public_base_url)
            response = await session.get(url, allow_redirects=False)
            await response.read()
            if response.status not in (301, 302, 303, 307):
                return response
            url = response.headers["Location"]
    raise AssertionError("too many redirects")


async def connect_linkedin_via_handlers(services: Services, actor: Actor) -> Outcome:
    """What the browser does, at the use cases: the page's link, LinkedIn, the callback."""
    page = await accounts.accounts_page(services, actor)
    return await linkedin_round_trip(services, button(page, "Connect LinkedIn").url or "")


async def linkedin_round_trip(services: Services, connect_url: str) -> Outcome:
    """Open a connect link: LinkedIn (the fake) signs the member in and sends them back."""
    state = state_of(connect_url)
    start = await accounts.linkedin_start(services, state)
    assert start is not None
    async with (
        aiohttp.ClientSession() as session,
        session.get(start, allow_redirects=False) as answer,
    ):
        assert answer.status == 302, await answer.text()
        back = parse_qs(urlsplit(answer.headers["Location"]).query)
    result = await accounts.linkedin_finish(
        services,
        state=back["state"][0],
        code=back.get("code", [None])[0],
        error=back.get("error", [None])[0],
    )
    return result.outcome
