"""SIGTERM during a burst of commands (issue 16.2): every command Slack got an ack for is done
before `socialboost serve` exits. Bolt acks first and runs the listener afterwards, so the
server must finish those listeners before it closes the database and exits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select

from content_store.database import Database
from content_store.models import Person
from domain.programme import ProgrammeStatus
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signed import FORM
from tests.bot.slack.signed import headers as signed_headers
from tests.factories import WORKSPACE
from tests.scheduler.server_process import ServerProcess

pytestmark = pytest.mark.faults

SECRET = "test-signing-secret"
PEOPLE = 100
# Each listener first asks Slack who the person is: slow answers keep many of them running
# when SIGTERM arrives, right after the last ack.
SLACK_LATENCY = 0.2


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=WORKSPACE, latency=SLACK_LATENCY) as fake:
        for index in range(PEOPLE):
            fake.add_user(f"U{index:03d}")
        yield fake


def _signed(user: str, slack: FakeSlack) -> tuple[str, dict[str, str]]:
    body = urlencode(
        {
            "command": "/boost",
            "text": "in",
            "user_id": user,
            "team_id": WORKSPACE,
            "channel_id": "C1",
            "trigger_id": f"trigger-{user}",
            "response_url": slack.response_url(user),
            "api_app_id": "A1",
        }
    )
    return body, {**signed_headers(body, secret=SECRET), "Content-Type": FORM}


async def _command(session: aiohttp.ClientSession, url: str, user: str, slack: FakeSlack) -> bool:
    """Send `/boost in` as `user`; True when Slack would have seen an ack (HTTP 200)."""
    body, headers = _signed(user, slack)
    try:
        async with session.post(f"{url}/slack/events", data=body, headers=headers) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def _opted_in(db: Database) -> set[str]:
    async with db.session() as session:
        query = select(Person.external_id).where(Person.status == ProgrammeStatus.IN)
        return set((await session.execute(query)).scalars())


async def test_every_acknowledged_command_is_done_before_the_server_exits(
    db: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    server = ServerProcess(database_url=db.url, slack_url=slack.base_url, log=tmp_path / "s.log")
    await server.start()
    assert server.process is not None
    users = [f"U{index:03d}" for index in range(PEOPLE)]
    try:
        async with aiohttp.ClientSession() as session:
            acked = await asyncio.gather(
                *(_command(session, server.url, user, slack) for user in users)
            )
        server.process.terminate()
        exit_code = await asyncio.wait_for(server.process.wait(), timeout=120)
    finally:
        await server.stop()
    acknowledged = {user for user, ok in zip(users, acked, strict=True) if ok}
    assert acknowledged, server.logs()
    assert acknowledged <= await _opted_in(db), server.logs()[-3000:]
    assert exit_code == 0
