"""A text-only chat platform for tests: the recipe for a new platform, followed to the letter.

It is what a folder under `bot/` would hold for a new platform: settings, an adapter that reads
its own payloads into neutral values and renders replies its own way, a messenger, and the
`Platform` row. It adds nothing to `handlers/`: every command and button goes through the same
registry and dispatcher as Slack and Teams.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, assert_never

from aiohttp import web
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.platforms import PlatformEntry, ServeOptions
from domain.errors import InvalidInput
from handlers import commands
from handlers.actions import Press
from handlers.context import Services, error_reply
from handlers.dispatch import dispatch
from handlers.types import (
    Actions,
    Actor,
    Block,
    Capabilities,
    Choice,
    ContentCard,
    DateInput,
    ItemSummary,
    Messenger,
    Reply,
    ShareReady,
    Text,
)
from scheduler.rate_limit import Rate

NAME = "console"
WORKSPACE = "local"
CAPABILITIES = Capabilities(label="the console", command_prefix="")
Rendered = dict[str, Any]


class ConsoleSettings(BaseSettings):
    """CONSOLE_ENABLED turns it on (the tests pass it directly)."""

    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore", frozen=True)

    enabled: bool = False


def render(reply: Reply) -> Rendered:
    """A reply as lines of text, numbered buttons and the inputs with their current values."""
    lines: list[str] = []
    buttons: list[dict[str, str]] = []
    inputs: dict[str, list[str]] = {}
    for block in reply.blocks:
        for line, found in _block(block):
            if line:
                lines.append(line)
            buttons.extend(found)
        inputs.update(_inputs(block))
    for number, button in enumerate(buttons, start=1):
        lines.append(f"[{number}] {button['label']}")
    return {"text": "\n".join(lines), "buttons": buttons, "inputs": inputs}


def _block(block: Block) -> Iterator[tuple[str, list[dict[str, str]]]]:
    if isinstance(block, Text):
        yield (block.text.upper() if block.heading else block.text), []
    elif isinstance(block, Actions):
        yield "", [_button(b.label, b.action_id, b.value, b.url) for b in block.buttons]
    elif isinstance(block, Choice):
        ticked = ", ".join(o.label for o in block.options if o.selected) or "—"
        yield f"{block.label}: {ticked}", []
    elif isinstance(block, DateInput):
        yield f"{block.label}: {block.initial or '—'}", []
    elif isinstance(block, ItemSummary):
        yield f"{block.title} <{block.url}>\n{block.details}", []
    elif isinstance(block, ContentCard):
        text = (
            f"{block.title} <{block.url}>\n{block.reason}\n{block.caption_label}: {block.caption}"
        )
        yield text, [_button(b.label, b.action_id, b.value, b.url) for b in block.actions]
    elif isinstance(block, ShareReady):
        text = f"{block.title} — {block.network_label}\n{block.caption}\n{block.copy_hint}"
        yield text, [_button(b.label, b.action_id, b.value, b.url) for b in block.actions]
    else:
        assert_never(block)


def _button(label: str, action_id: str, value: str, url: str | None) -> dict[str, str]:
    return {"label": label, "action_id": action_id, "value": value, "url": url or ""}


def _inputs(block: Block) -> dict[str, list[str]]:
    if isinstance(block, ContentCard):
        return {f"caption:{block.content_id}": [block.caption]}
    if isinstance(block, Choice):
        return {block.action_id: [o.value for o in block.options if o.selected]}
    if isinstance(block, DateInput):
        return {block.input_id: [block.initial.isoformat()] if block.initial else []}
    return {}


class ConsoleMessenger:
    """Messages the bot sends unasked (picks, digests) wait in each person's inbox."""

    def __init__(self) -> None:
        self.inbox: dict[str, list[Rendered]] = defaultdict(list)

    async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
        """Put the message in the person's inbox."""
        self.inbox[user_id].append(render(reply))
        return f"{user_id}:{len(self.inbox[user_id])}"

    async def send_to_channel(self, *, workspace_id: str, channel_id: str, reply: Reply) -> str:
        """The console has no channels."""
        raise NotImplementedError

    async def update(
        self, *, workspace_id: str, conversation_id: str, message_id: str, reply: Reply
    ) -> None:
        """Replace an inbox message."""
        user, _, number = message_id.partition(":")
        self.inbox[user][int(number) - 1] = render(reply)


class ConsoleAdapter:
    """POST /console/messages: a line typed or a button pressed in, the answers out."""

    def __init__(self, services: Services, messenger: ConsoleMessenger) -> None:
        self.services = services
        self.messenger = messenger

    async def handle(self, request: web.Request) -> web.Response:
        """Read the payload into neutral values, run it, render the reply as text."""
        body = await request.json()
        actor = Actor(NAME, WORKSPACE, str(body["user"]), locale=body.get("locale"))
        if "press" in body:
            pressed = body["press"]
            press = Press(
                action_id=str(pressed["action_id"]),
                value=str(pressed.get("value", "")),
                inputs={key: tuple(values) for key, values in pressed.get("inputs", {}).items()},
            )
            answer = await dispatch(self.services, actor, press, messenger=self.messenger)
            replies = [answer.reply] if answer.reply is not None else []
        else:
            try:
                reply = await commands.run_command(
                    self.services, actor, str(body["text"]), messenger=self.messenger
                )
            except InvalidInput as error:
                reply = await error_reply(self.services, actor, error)
            replies = [reply]
        return web.json_response({"messages": [render(reply) for reply in replies]})

    async def inbox(self, request: web.Request) -> web.Response:
        """GET /console/inbox/{user}: what the bot sent the person unasked."""
        return web.json_response(self.messenger.inbox[request.match_info["user"]])


class ConsolePlatform:
    """The console as a row of the platform registry."""

    name = NAME
    capabilities = CAPABILITIES

    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.messenger_in_use = ConsoleMessenger()

    @classmethod
    def from_environment(cls) -> ConsolePlatform:
        """The console as the environment (or a test) configures it."""
        return cls(ConsoleSettings(enabled=True))

    @property
    def enabled(self) -> bool:
        """On when its settings say so."""
        return self.settings.enabled

    def rate(self) -> Rate:
        """No limit worth having: it is all in memory."""
        return Rate(per_second=1000, burst=1000)

    async def home_workspace(self) -> str | None:
        """The console serves one workspace."""
        return WORKSPACE

    def attach(
        self, web_app: web.Application, *, services: Services, options: ServeOptions
    ) -> Messenger:
        """The console's two routes."""
        adapter = ConsoleAdapter(services, self.messenger_in_use)
        web_app.router.add_post("/console/messages", adapter.handle)
        web_app.router.add_get("/console/inbox/{user}", adapter.inbox)
        return self.messenger_in_use

    @asynccontextmanager
    async def messenger(self, *, services: Services) -> AsyncIterator[Messenger]:
        """The same in-memory inbox."""
        yield self.messenger_in_use


ENTRY = PlatformEntry(ConsolePlatform.from_environment, ConsoleSettings)
