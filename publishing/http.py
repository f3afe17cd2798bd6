"""One JSON-over-HTTP call with retries on 429 and 5xx, shared by the network clients."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from publishing.errors import NetworkBusy

log = logging.getLogger(__name__)

# A person is waiting for the answer in chat: a few quick tries, then a clear message.
ATTEMPTS = 3
TIMEOUT = aiohttp.ClientTimeout(total=15)


@dataclass(frozen=True)
class Response:
    """A network's answer: status, headers and the JSON body (empty when there was none)."""

    status: int
    headers: Mapping[str, str]
    body: dict[str, Any]


# Statuses that mean "not taken, try again" from a front door: safe to send again.
_SAFE_STATUSES = frozenset({429, 502, 503, 504})


class _Retry(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


# What a request that creates nothing is retried on.
_RETRIED = (_Retry, aiohttp.ClientError, TimeoutError)


async def call(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    data: Mapping[str, str] | None = None,
    wait_seconds: float = 1.0,
    creates: bool = False,
) -> Response:
    """Send one request; 429, 5xx and connection failures are retried, then NetworkBusy.

    A request that `creates` something (a post) is retried only when it cannot have been
    acted on: a 429, a 502/503/504 from the network's front door, or no connection at all.
    No answer in time, or a dropped connection, may hide a created post: that is not
    retried but raised as an ambiguous NetworkBusy, so a post is never made twice here.

    Logs name the host and the status only: never a header, a body or a query string,
    which may carry tokens or codes.
    """
    safe = (_Retry, aiohttp.ClientConnectorError) if creates else _RETRIED
    retrying = AsyncRetrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential(multiplier=wait_seconds, max=8 * wait_seconds),
        retry=retry_if_exception_type(safe),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                answer = await _once(
                    method, url, headers=headers, json=json, data=data, creates=creates
                )
                if creates and answer.status >= 500:
                    # A 500 may come after the post was made: ambiguous, never retried.
                    raise NetworkBusy(f"{_host(url)} answered {answer.status}", ambiguous=True)
                return answer
    except _Retry as busy:
        raise NetworkBusy(f"{_host(url)} answered {busy.status}") from None
    except aiohttp.ClientConnectorError as error:
        raise NetworkBusy(f"{_host(url)} unreachable: {type(error).__name__}") from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise NetworkBusy(
            f"{_host(url)} did not answer: {type(error).__name__}", ambiguous=creates
        ) from None
    raise AssertionError("unreachable")  # pragma: no cover


async def _once(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None,
    json: Any,
    data: Mapping[str, str] | None,
    creates: bool = False,
) -> Response:
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.request(method, url, headers=headers, json=json, data=data) as answer,
    ):
        # Any 5xx is retried for reads; for a post only the front door's "not taken" ones.
        if answer.status in _SAFE_STATUSES or (answer.status >= 500 and not creates):
            log.warning("%s %s answered %d; retrying", method, _host(url), answer.status)
            raise _Retry(answer.status)
        try:
            body = await answer.json(content_type=None)
        except ValueError:
            body = None
        return Response(answer.status, dict(answer.headers), body if isinstance(body, dict) else {})


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]
