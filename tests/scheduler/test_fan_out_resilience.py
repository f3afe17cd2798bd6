"""Fan-outs that survive what production throws at them, with real server processes.

Each replica is `socialboost serve` in its own process on the test database, sending to a
fake Slack Web API on loopback that keeps every message it receives; every recipient must
end up with exactly one picks message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select

from bot.slack.app import render_pair
from bot.slack.messenger import SlackMessenger, build_web_client
from content_store import outbox
from content_store.database import Database
from content_store.models import Person, ScheduleRun
from content_store.people import get_or_create_workspace
from content_store.schedules import save_schedule
from domain.programme import ProgrammeStatus, Role
from domain.schedules import ScheduleKind, WeeklyTime
from handlers import actions
from handlers.context import Services, SystemClock
from handlers.deliveries import RetryPolicy
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signed import FORM
from tests.bot.slack.signed import headers as signed_headers
from tests.factories import WORKSPACE, add_item, grant
from tests.scheduler.server_process import ServerProcess, until

SECRET = "test-signing-secret"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=WORKSPACE, latency=0.01) as fake:
        yield fake
        assert fake.problems == []


def _exactly_once(slack: FakeSlack, users: list[str]) -> None:
    counts = delivered(slack)
    twice = {user for user, count in counts.items() if count > 1}
    calls = [
        (round(call.at, 3), call.method, call.args.get("channel"), call.args.get("metadata"))
        for call in slack.calls
        if call.args.get("channel", "").removeprefix("D") in twice
    ]
    assert counts == Counter({user: 1 for user in users}), calls


def delivered(slack: FakeSlack) -> Counter[str]:
    """Picks messages per user, told apart from other messages by their delivery tag."""
    return Counter(
        channel.removeprefix("D")
        for (channel, _), message in list(slack.messages.items())
        if str((message.get("metadata") or {}).get("event_payload", {}).get("tag", "")).startswith(
            "delivery:"
        )
    )


async def _programme(db: Database, users: list[str], *, slot_minutes_ago: float = 1) -> None:
    """People in the programme, two live items, and a daily picks slot that just passed."""
    now = datetime.now(UTC)
    await add_item(db, slug="a", topics=("product",), now=now)
    await add_item(db, slug="b", topics=("culture",), now=now)
    slot = now - timedelta(minutes=slot_minutes_ago)
    async with db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        session.add_all(
            Person(workspace_id=workspace.id, external_id=user, status=ProgrammeStatus.IN)
            for user in users
        )
        await save_schedule(
            session,
            workspace_id=workspace.id,
            kind=ScheduleKind.PICKS,
            when=WeeklyTime(None, slot.hour, slot.minute),
            enabled=True,
            now=now,
        )


async def _outbox_empty(db: Database) -> bool:
    async with db.session() as session:
        return await outbox.waiting_count(session) == 0


async def _until_all_sent(db: Database, slack: FakeSlack, users: list[str]) -> None:
    deadline = time.monotonic() + 90
    while len(delivered(slack)) < len(users) or not await _outbox_empty(db):
        assert time.monotonic() < deadline, f"only {len(delivered(slack))} of {len(users)} sent"
        await asyncio.sleep(0.1)


def _replica(
    db: Database, slack: FakeSlack, tmp_path: Path, name: str, **env: str
) -> ServerProcess:
    settings = {"SLACK_RATE_PER_SECOND": "10", "SLACK_RATE_BURST": "1", **env}
    return ServerProcess(
        database_url=db.url, slack_url=slack.base_url, log=tmp_path / f"{name}.log", **settings
    )


async def test_a_crash_mid_fan_out_leaves_every_recipient_with_exactly_one_message(
    db: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    users = [f"U{index:03d}" for index in range(40)]
    await _programme(db, users)
    first = await _replica(db, slack, tmp_path, "first").start()
    try:
        await until(lambda: len(delivered(slack)) >= 8, what="the fan-out to start")
        await first.kill()
    finally:
        await first.stop()
    assert len(delivered(slack)) < len(users), "the crash came too late to test anything"
    second = await _replica(db, slack, tmp_path, "second").start()
    try:
        await _until_all_sent(db, slack, users)
    finally:
        await second.stop()
    _exactly_once(slack, users)


async def test_two_replicas_elect_one_leader_and_the_other_takes_over_without_duplicates(
    db: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    if not db.is_postgresql:
        pytest.skip("several replicas need PostgreSQL; with SQLite there is one")
    users = [f"U{index:03d}" for index in range(60)]
    await _programme(db, users)
    replicas = [await _replica(db, slack, tmp_path, name).start() for name in ("a", "b")]
    try:
        await until(lambda: any(r.leads() for r in replicas), what="a leader")
        assert sum(r.leads() for r in replicas) == 1
        leader, follower = sorted(replicas, key=lambda r: not r.leads())
        await until(lambda: len(delivered(slack)) >= 10, what="the fan-out to start")
        await leader.kill()
        await until(follower.leads, patience=30, what="the follower to take over")
        await _until_all_sent(db, slack, users)
    finally:
        for replica in replicas:
            await replica.stop()
    _exactly_once(slack, users)


async def test_a_slot_missed_by_downtime_is_sent_once_within_the_grace_window_only(
    db: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    users = ["U1", "U2", "U3"]
    await _programme(db, users, slot_minutes_ago=2)
    # Down for longer than the grace window (here 36 s): the slot is let go.
    late = await _replica(db, slack, tmp_path, "late", SCHEDULE_GRACE_HOURS="0.01").start()
    try:
        await asyncio.sleep(3)  # three schedule syncs
    finally:
        await late.stop()
    assert delivered(slack) == Counter()
    for name in ("back", "again"):
        replica = await _replica(db, slack, tmp_path, name).start()
        try:
            await _until_all_sent(db, slack, users)
            await asyncio.sleep(2)  # more syncs: the occurrence is not run again
        finally:
            await replica.stop()
    _exactly_once(slack, users)
    async with db.session() as session:
        runs = (await session.execute(select(ScheduleRun.planned))).scalars().all()
    assert 3 in runs


async def _slash(replica: ServerProcess, slack: FakeSlack, text: str, name: str) -> float:
    """A signed /boost command from the admin; returns when its answer reached Slack."""
    body = {
        "command": "/boost",
        "text": text,
        "user_id": "U-ADMIN",
        "team_id": WORKSPACE,
        "channel_id": "C1",
        "trigger_id": "t",
        "response_url": slack.response_url(name),
        "api_app_id": "A1",
    }
    return await _signed(replica, slack, urlencode(body), name, what=f"the answer to '{text}'")


async def _press(replica: ServerProcess, slack: FakeSlack, action_id: str, name: str) -> float:
    """The admin presses a button of an ephemeral answer; returns when its answer reached Slack."""
    payload = {
        "type": "block_actions",
        "user": {"id": "U-ADMIN"},
        "team": {"id": WORKSPACE},
        "api_app_id": "A1",
        "trigger_id": "t",
        "response_url": slack.response_url(name),
        "container": {"type": "message", "channel_id": "C1", "is_ephemeral": True},
        "channel": {"id": "C1"},
        "state": {"values": {}},
        "actions": [{"action_id": action_id, "block_id": "b", "value": "", "type": "button"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    return await _signed(replica, slack, body, name, what=f"the answer to {action_id}")


async def _signed(
    replica: ServerProcess, slack: FakeSlack, body: str, name: str, *, what: str
) -> float:
    headers = {**signed_headers(body, secret=SECRET), "Content-Type": FORM}
    url = f"{replica.url}/slack/events"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        assert r.status == 200
    await until(lambda: bool(slack.responses(name)), what=what)
    return next(call.at for call in slack.calls if call.method == f"respond:{name}")


async def test_pause_stops_the_fan_out_within_a_second_and_resume_finishes_it_once(
    db: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    users = [f"U{index:03d}" for index in range(50)]
    await _programme(db, users)
    await grant(db, "U-ADMIN", Role.CONTENT)
    replica = await _replica(db, slack, tmp_path, "pause").start()
    try:
        await until(lambda: len(delivered(slack)) >= 5, what="the fan-out to start")
        # The crisis switch is 'pause programme', confirmed with a button ('pause' is personal).
        await _slash(replica, slack, "pause programme", "ask-pause")
        paused_at = await _press(replica, slack, actions.PROGRAMME_PAUSE_CONFIRM, "pause")
        await asyncio.sleep(2)
        posts = [c for c in slack.calls if c.method == "chat.postMessage" and c.status == 200]
        assert all(call.at <= paused_at + 1.0 for call in posts)
        held = len(users) - len(delivered(slack))
        assert held > 0
        await _slash(replica, slack, "resume programme", "ask-resume")
        await _press(replica, slack, actions.PROGRAMME_RESUME_CONFIRM, "resume")
        await _until_all_sent(db, slack, users)
    finally:
        await replica.stop()
    _exactly_once(slack, users)


async def test_a_storm_of_429_answers_loses_nothing(services: Services, slack: FakeSlack) -> None:
    users = [f"U{index:03d}" for index in range(20)]
    await _programme(services.db, users)
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
    live = dataclasses.replace(services, clock=SystemClock())
    from handlers.deliveries import plan_picks

    await plan_picks(live, workspace=workspace, occurrence=live.clock.now())
    slack.rate_limit_per_second = 4  # Slack lets 4 a second through ...
    client = build_web_client(token="xoxb-test", base_url=slack.base_url, max_retries=1)
    sender = Sender(
        live,
        messengers={"slack": SlackMessenger(client=client, render=render_pair)},
        limiter=RateLimiter(services.db, rates={"slack": Rate(40, 40)}),  # ... we try 40
        config=SenderConfig(
            policy=RetryPolicy(max_attempts=30, first_backoff=timedelta(seconds=0.5))
        ),
    )
    deadline = time.monotonic() + 90
    while not await _outbox_empty(services.db):
        assert time.monotonic() < deadline, f"{len(delivered(slack))} of {len(users)} sent"
        await sender.drain()
        await asyncio.sleep(0.1)
    assert sum(call.status == 429 for call in slack.calls) > 10
    _exactly_once(slack, users)
