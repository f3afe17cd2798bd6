"""The Slack tests' world: the real server on loopback, wired to a strict fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from handlers.context import Services
from tests.bot.slack.world import SlackWorld, slack_world
from tests.factories import WORKSPACE


@pytest.fixture
async def world(services: Services) -> AsyncIterator[SlackWorld]:
    """The app served over HTTP with the test services; people come from `world.person()`."""
    async with slack_world(services, team_id=WORKSPACE) as started:
        yield started
