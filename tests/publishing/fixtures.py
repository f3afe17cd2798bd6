"""Fixtures (a plugin of tests/conftest.py): the fake LinkedIn and Bluesky on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.publishing.fakes import FakeBluesky, FakeLinkedIn, serve

HANDLE, DID = "ann.bsky.social", "did:plc:annexample0000000000000"
APP_PASSWORD, MAIN_PASSWORD = "abcd-efgh-ijkl-mnop", "ann's main password"


@pytest.fixture
async def fake_linkedin() -> AsyncIterator[FakeLinkedIn]:
    fake = FakeLinkedIn()
    async with serve(fake):
        yield fake


@pytest.fixture
async def fake_bluesky() -> AsyncIterator[FakeBluesky]:
    fake = FakeBluesky()
    fake.add_account(HANDLE, DID, app_password=APP_PASSWORD, main_password=MAIN_PASSWORD)
    async with serve(fake):
        yield fake
