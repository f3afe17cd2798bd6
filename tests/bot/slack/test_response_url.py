"""Answers to a response URL: JSON through the shared session, one retry on a broken connection."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession, ServerDisconnectedError, web
from aiohttp.test_utils import TestServer

from bot.slack import response_url


class Hook:
    """A response URL on loopback: records bodies; can drop the first connection or refuse."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.drops = 0
        self.status = 200

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.drops > 0:
            self.drops -= 1
            assert request.transport is not None
            request.transport.close()  # the connection breaks before any answer
            return web.Response()
        self.headers.append(dict(request.headers))
        self.bodies.append(json.loads(await request.text()))
        return web.Response(status=self.status, text="ok" if self.status == 200 else "no")


@pytest.fixture
async def hook() -> AsyncIterator[tuple[Hook, str, ClientSession]]:
    recorder = Hook()
    app = web.Application()
    app.router.add_post("/hook", recorder.handle)
    server = TestServer(app)
    await server.start_server()
    async with ClientSession() as session:
        yield recorder, str(server.make_url("/hook")), session
    await server.close()


async def test_the_answer_is_posted_as_json_with_slacks_headers(
    hook: tuple[Hook, str, ClientSession],
) -> None:
    recorder, url, session = hook
    body = {"text": "Shared", "blocks": [{"type": "divider"}], "replace_original": True}

    status = await response_url.post(session, url, body)

    assert status == 200
    assert recorder.bodies == [body]
    assert recorder.headers[0]["Content-Type"] == "application/json;charset=utf-8"
    assert "slackclient/" in recorder.headers[0]["User-Agent"]


async def test_a_refusal_is_returned_not_raised(hook: tuple[Hook, str, ClientSession]) -> None:
    recorder, url, session = hook
    recorder.status = 404

    assert await response_url.post(session, url, {"text": "late"}) == 404


async def test_a_broken_connection_is_retried_once(
    hook: tuple[Hook, str, ClientSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, url, session = hook
    monkeypatch.setattr(response_url, "pause", lambda attempt: 0.0)
    recorder.drops = 1

    assert await response_url.post(session, url, {"text": "again"}) == 200
    assert recorder.bodies == [{"text": "again"}]


async def test_a_connection_broken_twice_reaches_the_caller(
    hook: tuple[Hook, str, ClientSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, url, session = hook
    monkeypatch.setattr(response_url, "pause", lambda attempt: 0.0)
    recorder.drops = 2

    with pytest.raises(ServerDisconnectedError):
        await response_url.post(session, url, {"text": "gone"})
    assert recorder.bodies == []


def test_the_pause_backs_off_with_at_most_a_second_of_jitter() -> None:
    assert 0.5 <= response_url.pause(0) < 1.5
    assert 1.0 <= response_url.pause(1) < 2.0
