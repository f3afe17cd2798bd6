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


class _Retry(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


async def call(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    data: Mapping[str, str] | None = None,
    wait_seconds: float = 1.0,
) -> Response:
    """Send one request; 429, 5xx and connection failures are retried, then NetworkBusy.

    Logs name the host and the status only: never a header, a body or a query string,
    which may carry tokens or codes.
    """
    retrying = AsyncRetrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential(multiplier=wait_seconds, max=8 * wait_seconds),
        retry=retry_if_exception_type((_Retry, aiohttp.ClientError, TimeoutError)),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                return await _once(method, url, headers=headers, json=json, data=data)
    except _Retry as busy:
        raise NetworkBusy(f"{_host(url)} answered {busy.status}") from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise NetworkBusy(f"{_host(url)} unreachable: {type(error).__name__}") from None
    raise AssertionError("unreachable")  # pragma: no cover


async def _once(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None,
    json: Any,
    data: Mapping[str, str] | None,
) -> Response:
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.request(method, url, headers=headers, json=json, data=data) as answer,
    ):
        if answer.status == 429 or answer.status >= 500:
            log.warning("%s %s answered %d; retrying", method, _host(url), answer.status)
            raise _Retry(answer.status)
        try:
            body = await answer.json(content_type=None)
        except ValueError:
            body = None
        return Response(answer.status, dict(answer.headers), body if isinstance(body, dict) else {})


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]
