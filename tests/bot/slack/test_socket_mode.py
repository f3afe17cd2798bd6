"""Socket Mode: a local WebSocket plays Slack; the app acknowledges each envelope and acts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.slack.app import SlackAdapter
from bot.slack.messenger import build_web_client
from handlers.context import Services
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_slack_app import until
from tests.factories import WORKSPACE


class SocketSide:
    """The Slack end of a Socket Mode connection: hello, then envelopes, collecting acks."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._link)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"ws://127.0.0.1:{self.runner.addresses[0][1]}/link"

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        sender = asyncio.create_task(self._send(socket))
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
        sender.cancel()
        return socket

    async def _send(self, socket: web.WebSocketResponse) -> None:
        while True:
            await socket.send_json(await self.outbox.get())


@pytest.fixture
async def socket_side() -> AsyncIterator[SocketSide]:
    side = SocketSide()
    await side.start()
    yield side
    assert side.runner is not None
    await side.runner.cleanup()


async def test_slash_command_envelope_is_acknowledged_and_answered(
    services: Services, socket_side: SocketSide
) -> None:
    async with FakeSlack(team_id=WORKSPACE) as slack:
        slack.add_user("U1")
        slack.socket_url = socket_side.url
        client = build_web_client(token="xoxb-test", base_url=slack.base_url)
        adapter = SlackAdapter(services=services, client=client, signing_secret="unused")
        handler = AsyncSocketModeHandler(adapter.bolt, "xapp-test", web_client=client)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        try:
            await socket_side.outbox.put(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": {
                        "command": "/boost",
                        "text": "help",
                        "user_id": "U1",
                        "team_id": WORKSPACE,
                        "channel_id": "C1",
                        "trigger_id": "t",
                        "response_url": slack.response_url("socket"),
                    },
                }
            )
            acks = await until(
                lambda: [a for a in socket_side.acks if a.get("envelope_id") == "env-1"]
            )
            answer = await until(lambda: slack.responses("socket"))
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
    assert len(acks) == 1
    assert "/boost suggest" in json.dumps(answer[0]["blocks"])
