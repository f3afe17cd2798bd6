"""PostgreSQL restarted under a running `socialboost serve`: /healthz turns 503 then 200, the
process lives on, nothing confirmed is lost, and requests during the outage get a clear answer.

The database is a private instance this test creates with initdb on a temporary directory and
a free port, so restarting it disturbs nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select

from content_store.database import Database
from content_store.models import Share
from messages import translate
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signed import FORM
from tests.bot.slack.signed import headers as signed_headers
from tests.factories import WORKSPACE, add_item
from tests.scheduler.server_process import ServerProcess, free_port, until

pytestmark = pytest.mark.faults

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SECRET = "test-signing-secret"
UNAVAILABLE = translate("error.unavailable", "en")
CONFIRMED = translate("share.confirmed", "en", networks="LinkedIn")


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on loopback, started and stopped with pg_ctl."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="sb-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        # initdb refuses to run as root: run the cluster as the postgres account then.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(self.root, user="postgres")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        # Fixed PostgreSQL binaries and arguments built here, never outside input.
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, timeout=120)  # noqa: S603

    def init(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "postgres.log")
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start"
        )

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"needs PostgreSQL's initdb at {PG_BIN} to run a private, restartable server")
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=WORKSPACE) as fake:
        fake.add_user("U1", locale="en-US", tz="Europe/Amsterdam")
        yield fake


class Client:
    """Signed Slack requests to the server process, answers read at the fake Slack."""

    def __init__(self, server: ServerProcess, slack: FakeSlack) -> None:
        self.server, self.slack = server, slack
        self.sent = 0

    async def _post(self, session: aiohttp.ClientSession, body: str) -> int:
        url = f"{self.server.url}/slack/events"
        async with session.post(
            url, data=body, headers={**signed_headers(body, secret=SECRET), "Content-Type": FORM}
        ) as response:
            return response.status

    async def command(self, session: aiohttp.ClientSession, text: str) -> str:
        self.sent += 1
        name = f"cmd{self.sent}"
        fields = {"command": "/boost", "text": text, "user_id": "U1", "team_id": WORKSPACE}
        body = urlencode(
            {**fields, "trigger_id": "t", "response_url": self.slack.response_url(name)}
        )
        assert await self._post(session, body) == 200
        return await self.answer(name)

    async def press(
        self, session: aiohttp.ClientSession, action_id: str, value: str, item: int
    ) -> str:
        self.sent += 1
        name = f"act{self.sent}"
        caption = {"caption": {"type": "plain_text_input", "value": "In my own words"}}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": "U1"},
            "team": {"id": WORKSPACE},
            "api_app_id": "A1",
            "trigger_id": "t",
            "response_url": self.slack.response_url(name),
            "channel": {"id": "DU1"},
            "container": {"type": "message", "channel_id": "DU1", "message_ts": "1.1"},
            "message": {"ts": "1.1", "text": "", "blocks": []},
            "state": {"values": {f"caption:{item}": caption}},
            "actions": [
                {"action_id": action_id, "block_id": "b", "value": value, "type": "button"}
            ],
        }
        assert await self._post(session, urlencode({"payload": json.dumps(payload)})) == 200
        return await self.answer(name)

    async def answer(self, name: str) -> str:
        await until(lambda: bool(self.slack.responses(name)), patience=30, what=f"answer {name}")
        return json.dumps(self.slack.responses(name), ensure_ascii=False)

    async def share_and_confirm(self, session: aiohttp.ClientSession, item: int) -> str:
        shared = await self.press(session, "share.linkedin", f"{item}:dm", item)
        if UNAVAILABLE in shared:
            return shared
        return await self.press(session, "share.confirm", f"{item}:linkedin", item)


async def _health(session: aiohttp.ClientSession, server: ServerProcess) -> int:
    try:
        async with session.get(f"{server.url}/healthz") as response:
            return response.status
    except aiohttp.ClientError:
        return 0


async def _wait_health(session: aiohttp.ClientSession, server: ServerProcess, status: int) -> None:
    deadline = time.monotonic() + 60
    while await _health(session, server) != status:
        assert time.monotonic() < deadline, f"/healthz never answered {status}"
        await asyncio.sleep(0.1)


async def test_a_postgres_restart_under_load_loses_nothing_and_answers_clearly(
    postgres: PrivatePostgres, slack: FakeSlack, tmp_path: Path
) -> None:
    db = Database(postgres.url)
    await db.upgrade()
    items = [
        await add_item(db, slug=f"item-{n}", topics=("product",), now=datetime.now(UTC))
        for n in range(6)
    ]
    await db.dispose()
    server = await ServerProcess(
        database_url=postgres.url, slack_url=slack.base_url, log=tmp_path / "serve.log"
    ).start()
    client = Client(server, slack)
    confirmed_to_people: list[int] = []
    try:
        async with aiohttp.ClientSession() as session:
            assert "in" in (await client.command(session, "in")).lower()
            for item in items[:2]:
                answer = await client.share_and_confirm(session, item)
                assert CONFIRMED in answer
                confirmed_to_people.append(item)

            # Load while the database goes away: health probes and clicks keep coming.
            probes: list[int] = []

            async def probe() -> None:
                while True:
                    probes.append(await _health(session, server))
                    await asyncio.sleep(0.05)

            prober = asyncio.create_task(probe())
            await asyncio.to_thread(postgres.stop)
            await _wait_health(session, server, 503)
            during = await client.share_and_confirm(session, items[2])
            assert UNAVAILABLE in during, during
            async with session.get(f"{server.url}/r/AAAAAAAAAAAAAAAA") as response:
                assert response.status in (404, 503)
                if response.status == 503:
                    assert "temporarily unavailable" in await response.text()

            await asyncio.to_thread(postgres.start)
            await _wait_health(session, server, 200)
            # The prober's own next answer after recovery (one of its probes may have been in
            # flight when ours saw 200).
            await until(lambda: probes[-1] == 200, patience=10, what="the prober's 200")
            prober.cancel()
            assert 503 in probes and probes.index(503) < len(probes) - 1
            assert server.process is not None and server.process.returncode is None
            # The replica takes the scheduler back once the database is there again.
            await until(server.leads, patience=30, what="the scheduler to be taken back")

            for item in items[3:]:
                answer = await client.share_and_confirm(session, item)
                assert CONFIRMED in answer, answer
                confirmed_to_people.append(item)
    finally:
        await server.stop()
    db = Database(postgres.url)
    async with db.session() as stored_in:
        stored = {
            share.content_id
            for share in (await stored_in.execute(select(Share))).scalars()
            if share.confirmed_at is not None
        }
    await db.dispose()
    assert stored == set(confirmed_to_people)
    # Tracebacks in the log come from scheduler jobs that ran during the outage, not requests.
    assert "Error handling request" not in server.logs()
