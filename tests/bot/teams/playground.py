"""Driving Microsoft 365 Agents Playground (Microsoft's local Teams client) from tests.

The Playground is started as a process. Tests act as its signed-in user through the endpoints
its own web client calls (`/_conversation/v1/...` to say something or submit a card,
`/_debug/...` to install the app), and read what the bot sends from the WebSocket stream that
client listens on (`/_ws_conversation/v1/conversations/stream`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.bot.teams.cards import ROOT, node_tools_or_skip

CLI = ROOT / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
STREAM = "/_ws_conversation/v1/conversations/stream"


@dataclass(frozen=True)
class Shown:
    """A message as the Playground shows it: created or updated, its id, text and cards."""

    action: str
    conversation_id: str
    message_id: str
    text: str
    cards: list[dict[str, Any]]
    # Every attachment as sent (cards, and files: content type, name, contentUrl).
    attachments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def dump(self) -> str:
        """Everything in the message as JSON text, for simple `in` checks."""
        return json.dumps([self.text, self.cards], ensure_ascii=False)


@contextlib.contextmanager
def playground_process(*, port: int, bot_url: str, workdir: Path) -> Iterator[str]:
    """Run the Playground on `port`, pointed at `bot_url`; yields its base URL."""
    node = node_tools_or_skip(CLI)
    env = {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",
        # The Playground reports the machine's zone as the user's localTimezone.
        "TZ": "Europe/Amsterdam",
    }
    command = [node, str(CLI), "-e", bot_url, "-c", "msteams", "--dt", "-p", str(port)]
    process = subprocess.Popen(  # noqa: S603 - our own pinned package
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    """Wait until the Playground answers HTTP on `port`: an open port is not enough, as it
    first probes whether the port is free (listening for a moment) and only then serves."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"the Playground stopped: {output[-2000:]}")
        url = f"http://127.0.0.1:{port}/"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("the Playground did not start within 60 s")


class Playground:
    """The Playground's user side: its mocked tenant, what the bot shows, and user actions."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self._session = session
        self.shown: list[Shown] = []
        self.config: dict[str, Any] = {}
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Read the tenant's configuration and start listening to the stream."""
        async with self._session.get(f"{self.base_url}/_internal/v1/config") as response:
            self.config = (await response.json())["config"]
        socket = await self._session.ws_connect(f"{self.base_url}{STREAM}")
        self._reader = asyncio.create_task(self._read(socket))

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in socket:
            data = json.loads(frame.data)
            message = data.get("message") or {}
            self.shown.append(
                Shown(
                    action=str(data.get("action")),
                    conversation_id=str(data.get("actionConversationId")),
                    message_id=str(message.get("messageId")),
                    text=str(message.get("text") or ""),
                    cards=[
                        a["content"] for a in message.get("attachments") or [] if "content" in a
                    ],
                    attachments=list(message.get("attachments") or []),
                )
            )

    @property
    def tenant_id(self) -> str:
        return str(self.config["tenantId"])

    @property
    def personal_chat(self) -> str:
        return str(self.config["personalChat"]["id"])

    @property
    def user(self) -> dict[str, Any]:
        return dict(self.config["currentUser"])

    async def install(self, conversation_id: str) -> None:
        """The app is added to a conversation (Teams sends installationUpdate)."""
        url = f"{self.base_url}/_debug/conversation/{conversation_id}/installation"
        await self._post(url, {})

    async def say(self, conversation_id: str, text: str) -> None:
        """The user types a message to the bot."""
        url = f"{self.base_url}/_conversation/v1/conversations/{conversation_id}/messages"
        await self._post(
            url, {"from": {"id": self.user["id"]}, "text": text, "textFormat": "plain"}
        )

    async def press(self, message: Shown, value: dict[str, Any]) -> None:
        """The user presses an Action.Submit button on `message`; `value` is data plus inputs."""
        body = {
            "conversation": {"id": message.conversation_id},
            "from": {"id": self.user["id"]},
            "replyToId": message.message_id,
            "value": value,
        }
        await self._post(f"{self.base_url}/_conversation/v1/submit", body)

    async def custom(self, conversation_id: str, activity: dict[str, Any]) -> None:
        """Any activity from the user, on the Playground's template (Mock an Activity): for
        what its chat cannot type, such as another locale."""
        url = f"{self.base_url}/_internal/v1/customActivities"
        query = {"conversationId": conversation_id}
        async with self._session.get(f"{url}/template", params=query) as response:
            template: dict[str, Any] = await response.json()
        await self._post(url, template | activity)

    async def from_bot(self, conversation_id: str, activity: dict[str, Any]) -> None:
        """A message as if the bot had sent it, through the Playground's mocked connector."""
        url = f"{self.base_url}/_connector/v3/conversations/{conversation_id}/activities"
        await self._post(url, {"type": "message", **activity})

    async def _post(self, url: str, body: dict[str, Any]) -> None:
        async with self._session.post(url, json=body) as response:
            assert response.status < 300, await response.text()

    async def wait(self, check: Callable[[list[Shown]], Any], *, seconds: float = 20.0) -> Any:
        """What `check` finds among the messages shown so far, once it finds something."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = check(self.shown)
            if found:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"not shown in time; shown: {[s.dump[:300] for s in self.shown]}")

    def mark(self) -> int:
        """A bookmark: `since(mark)` gives only what is shown after it."""
        return len(self.shown)

    def since(self, mark: int) -> list[Shown]:
        return self.shown[mark:]
