"""Fixtures for the caption tests: a loopback OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.captions.openai_stub import StubOpenAI, running_stub


@pytest.fixture
async def stub() -> AsyncIterator[StubOpenAI]:
    """A running stub chat completions server."""
    async with running_stub() as server:
        yield server
