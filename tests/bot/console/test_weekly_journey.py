"""A third platform through the registry: the whole week on the console, no handler changed.

Welcome, opt-in with networks and topics in one Save, picks sent by the outbox, an edited
caption shared and confirmed, and the manager's digest: every step goes through the same
command registry, action dispatcher, outbox and runtime as Slack and Teams.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import assemble
from bot.platforms import PLATFORMS, PlatformEntry, ServeOptions
from bot.runtime import RUNTIME
from bot.server import SERVICES
from bot.settings import Settings
from content_store.content import NewContent, add_content
from content_store.database import Database
from content_store.models import Person, Share, Workspace
from content_store.people import get_or_create_person, get_or_create_workspace, set_roles
from domain.programme import Role
from domain.schedules import ScheduleKind
from tests.bot.console.platform import NAME, WORKSPACE, ConsolePlatform, ConsoleSettings

Message = dict[str, Any]


class ConsoleUser:
    """A person at the console: types, reads what came back, presses buttons by their label."""

    def __init__(self, client: TestClient[Any, Any], user: str) -> None:
        self.client = client
        self.user = user

    async def say(self, text: str) -> Message:
        return await self._send({"user": self.user, "text": text})

    async def press(self, message: Message, label: str, **typed: list[str]) -> Message:
        button = next(b for b in message["buttons"] if b["label"] == label)
        inputs = {**message["inputs"], **typed}
        press = {"action_id": button["action_id"], "value": button["value"], "inputs": inputs}
        return await self._send({"user": self.user, "press": press})

    async def inbox(self) -> list[Message]:
        response = await self.client.get(f"/console/inbox/{self.user}")
        found: list[Message] = await response.json()
        return found

    async def _send(self, body: dict[str, Any]) -> Message:
        response = await self.client.post("/console/messages", json=body)
        assert response.status == 200
        messages: list[Message] = (await response.json())["messages"]
        (message,) = messages
        return message


async def until(check: Callable[[], Any], *, seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.05)
    pytest.fail("the server did not do what was expected in time")


@pytest.fixture
async def client(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient[Any, Any]]:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    console = ConsolePlatform(ConsoleSettings(enabled=True))
    # Adding the platform is this one row next to the real ones.
    entries = (*PLATFORMS, PlatformEntry(lambda: console, ConsoleSettings))
    settings = Settings(_env_file=None, delivery_poll_seconds=0.05)
    app = assemble(settings, db, options=ServeOptions(port=0), entries=entries)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def _setup(db: Database) -> None:
    """A content person, a manager with one report, and an item about the report's topic."""
    now = datetime.now(UTC)
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform=NAME, external_id=WORKSPACE)
        editor = await get_or_create_person(session, workspace_id=ws.id, external_id="EDITOR")
        await set_roles(session, person_id=editor.id, roles=(Role.CONTENT,))
        boss = await get_or_create_person(session, workspace_id=ws.id, external_id="BOSS")
        await set_roles(session, person_id=boss.id, roles=(Role.MANAGER,))
        ann = await get_or_create_person(session, workspace_id=ws.id, external_id="ANN")
        ann.manager_id = boss.id
        await add_content(
            session,
            workspace_id=ws.id,
            new=NewContent(
                canonical_url="https://news.example.com/launch",
                title="Our launch week",
                description="What we shipped.",
                topics=("product",),
                publish_from=now - timedelta(days=1),
            ),
            now=now,
        )


async def test_a_week_on_the_console_platform(client: TestClient[Any, Any], db: Database) -> None:
    await _setup(db)
    ann, editor, boss = (ConsoleUser(client, name) for name in ("ANN", "EDITOR", "BOSS"))

    welcome = await ann.say("hi")
    assert "voluntary" in welcome["text"]
    choose = await ann.press(welcome, "I'm in")
    assert "Networks you use" in choose["text"]
    saved = await ann.press(
        choose, "Save", **{"prefs.networks": ["linkedin", "x"], "prefs.topics": ["product"]}
    )
    assert "LinkedIn, X" in saved["text"] and "#product" in saved["text"]

    queued = await editor.say("send-now")
    assert "queued for one person" in queued["text"]
    (picks,) = await until(ann.inbox)
    assert "Our launch week" in picks["text"]
    caption_input = next(key for key in picks["inputs"] if key.startswith("caption:"))
    ready = await ann.press(picks, "Share on LinkedIn", **{caption_input: ["Proud of this team!"]})
    assert "Proud of this team!" in ready["text"]
    assert any(b["url"].startswith("https://www.linkedin.com/") for b in ready["buttons"])
    done = await ann.press(ready, "I've posted it")
    # The item stays, with thanks and the one network left to share on.
    assert "Posted on LinkedIn — thank you" in done["text"]
    assert [b["label"] for b in done["buttons"]] == ["Share on X"]
    async with db.session() as session:
        share = (await session.execute(select(Share))).scalar_one()
    assert share.final_caption == "Proud of this team!" and share.confirmed_at is not None

    services = client.app[SERVICES]
    async with db.session() as session:
        workspace = (await session.execute(select(Workspace).filter_by(platform=NAME))).scalar_one()
        assert (await session.execute(select(Person).filter_by(external_id="ANN"))).scalar_one()
    digests = client.app[RUNTIME].runners()[ScheduleKind.DIGEST]
    assert await digests(services, workspace, "UTC", services.clock.now()) == 1
    (digest,) = await until(boss.inbox, seconds=90)
    assert "Your team this week" in digest["text"] or "team" in digest["text"].lower()
    assert "ANN" not in digest["text"]  # no names without consent
