"""Answers to Slack's response URLs, posted through the app's one pooled aiohttp session."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

from aiohttp import ClientOSError, ClientSession, ServerConnectionError, ServerDisconnectedError
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.web.internal_utils import get_user_agent

log = logging.getLogger(__name__)
# What slack_sdk's webhook client retried once (its default handler): the connection broke.
RETRIED = (ServerConnectionError, ServerDisconnectedError, ClientOSError)
ATTEMPTS = 2
# slack_sdk's default back-off before its one retry: 0.5 s and up to 1 s of jitter.
_PAUSE_S = 0.5
# Built once: slack_sdk built the user agent and read the proxy variables for every answer.
HEADERS = {
    "User-Agent": get_user_agent(None, None),
    "Content-Type": "application/json;charset=utf-8",
}


def proxy_from_env() -> str | None:
    """The HTTP(S) proxy from the environment, as slack_sdk's clients read it."""
    return load_http_proxy_from_env(log)


def pause(attempt: int) -> float:
    """Seconds to wait before the retry after `attempt` (0-based): back-off with jitter."""
    return _PAUSE_S * 2.0**attempt + random.random()  # noqa: S311 - jitter, not a secret


async def post(
    session: ClientSession, url: str, body: dict[str, Any], *, proxy: str | None = None
) -> int:
    """POST `body` as JSON to a response URL; its HTTP status (Slack's refusals are not raised).

    One retry when the connection breaks, as slack_sdk's webhook client did; other errors
    propagate to the caller, which tells the person.
    """
    data = json.dumps(body)
    for attempt in range(ATTEMPTS):
        try:
            async with session.post(url, data=data, headers=HEADERS, proxy=proxy) as answer:
                await answer.read()  # the connection goes back to the pool only once read
                return answer.status
        except RETRIED:
            if attempt + 1 == ATTEMPTS:
                raise
            await asyncio.sleep(pause(attempt))
    raise AssertionError("unreachable")  # pragma: no cover
