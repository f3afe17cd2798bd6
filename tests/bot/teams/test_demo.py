"""The zero-account demo: the Playground starts with the bot, the tenant gets demo content."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.teams.cloud import playground_service_url
from bot.teams.demo import PLAYGROUND_CLI, DemoTenant, PlaygroundDemo, demo_tenant, prepare_demo
from content_store.models import ContentItem
from content_store.people import find_person, get_or_create_workspace, roles_of
from domain.programme import Role
from handlers.context import Services
from tests.bot.teams.cards import ROOT, node_tools_or_skip
from tests.bot.teams.fake_connector import free_port
from tests.bot.teams.local_app import local_teams_app
from tests.bot.teams.playground import Playground
from tests.conftest import FakeClock

# Under pytest-xdist every test that starts Microsoft's Playground (a Node process) or Chromium
# runs on one worker, one at a time: they would compete for the cores their timeouts assume.
pytestmark = pytest.mark.xdist_group("playground")

TENANT = DemoTenant(tenant_id="tenant-demo", user_id="aad-demo", user_name="Alex")


async def _items(services: Services, tenant: str) -> int:
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="teams", external_id=tenant)
        query = select(func.count()).select_from(ContentItem).filter_by(workspace_id=workspace.id)
        return int(await session.scalar(query) or 0)


async def test_the_first_start_seeds_the_library_and_the_user_may_do_everything(
    services: Services, clock: FakeClock
) -> None:
    assert await prepare_demo(services, TENANT, now=clock.now()) == 6
    assert await prepare_demo(services, TENANT, now=clock.now()) == 0
    assert await _items(services, TENANT.tenant_id) == 6
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(
            session, platform="teams", external_id=TENANT.tenant_id
        )
        person = await find_person(session, workspace_id=workspace.id, external_id="aad-demo")
        assert person is not None
        assert await roles_of(session, person_id=person.id) == {Role.ADMIN, Role.CONTENT}


def test_the_tenant_and_user_are_read_from_the_playground_config() -> None:
    config: dict[str, Any] = {
        "config": {
            "tenantId": "t-1",
            "currentUser": {"id": "user-id-0", "name": "Alex", "aadObjectId": "aad-0"},
        }
    }
    assert demo_tenant(config) == DemoTenant("t-1", "aad-0", "Alex")


@pytest.fixture
def playground_port() -> int:
    return free_port()


@pytest.fixture
async def bot_url(
    services: Services, monkeypatch: pytest.MonkeyPatch, playground_port: int
) -> AsyncIterator[str]:
    app, _ = local_teams_app(
        services, service_url=playground_service_url(playground_port), monkeypatch=monkeypatch
    )
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/api/messages"
    await runner.cleanup()


async def test_make_run_demo_starts_the_playground_and_a_newcomer_can_talk_to_the_bot(
    services: Services, bot_url: str, playground_port: int
) -> None:
    node_tools_or_skip(ROOT / PLAYGROUND_CLI)
    port = playground_port
    demo = PlaygroundDemo(services=services, bot_url=bot_url, port=port, root=ROOT)
    await demo.start()
    try:
        await demo.ready()
        async with aiohttp.ClientSession() as session:
            playground = Playground(f"http://127.0.0.1:{port}", session)
            await playground.start()
            assert await _items(services, playground.tenant_id) == 6
            await playground.say(playground.personal_chat, "help")
            # The demo user holds every role, so help lists the content team's commands too.
            await playground.wait(lambda shown: [s for s in shown if "send-now" in s.dump])
            await playground.stop()
    finally:
        await demo.stop()
    with pytest.raises(aiohttp.ClientError):
        async with aiohttp.ClientSession() as session:
            await session.get(f"http://127.0.0.1:{port}/_internal/v1/config")


async def test_a_busy_playground_port_is_said_at_once_and_nothing_is_started(
    services: Services, bot_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression (issue 14 item 9): the server waited 60 s, then blamed the Playground, which
    had quietly moved to another port and kept running."""
    node_tools_or_skip(ROOT / PLAYGROUND_CLI)
    busy = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", 0)
    port = busy.sockets[0].getsockname()[1]
    demo = PlaygroundDemo(services=services, bot_url=bot_url, port=port, root=ROOT)
    try:
        await demo.start()
        await demo.ready()
        assert f"port {port} is already in use" in caplog.text
        assert f"PLAYGROUND_PORT={port + 1}" in caplog.text
        assert demo._process is None  # nothing left running on another port
    finally:
        busy.close()
        await demo.stop()
