"""A send slowed down by Slack's 429s keeps its row: no other replica sends it as well.

Regression (issue 16 item 6): with a 2 s lease and Slack at 2 messages a second, sends waiting
out Retry-After in the client outlived their lease; another replica took the row over, found
nothing in the DM yet, and sent too: 17 of 60 people got 2-3 DMs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from datetime import timedelta

import pytest

from bot.slack.app import render_pair
from bot.slack.messenger import SlackMessenger, build_web_client
from content_store import outbox
from content_store.models import Person
from content_store.people import get_or_create_workspace
from domain.programme import ProgrammeStatus
from handlers.context import Services, SystemClock
from handlers.deliveries import RetryPolicy, plan_picks
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig
from tests.bot.slack.fake_slack import FakeSlack
from tests.factories import WORKSPACE, add_item

pytestmark = pytest.mark.faults

USERS = [f"U{index:03d}" for index in range(30)]


def _delivered(slack: FakeSlack) -> Counter[str]:
    return Counter(
        channel.removeprefix("D")
        for (channel, _), message in list(slack.messages.items())
        if str((message.get("metadata") or {}).get("event_payload", {}).get("tag", "")).startswith(
            "delivery:"
        )
    )


def _replica(services: Services, slack: FakeSlack, name: str) -> Sender:
    # The production client: up to five waits of Retry-After on a 429.
    client = build_web_client(token="xoxb-test", base_url=slack.base_url)
    return Sender(
        services,
        messengers={"slack": SlackMessenger(client=client, render=render_pair)},
        # Both replicas share the bucket; it lets more through than Slack does.
        limiter=RateLimiter(services.db, rates={"slack": Rate(6, 6)}),
        config=SenderConfig(
            lease=timedelta(seconds=2),
            poll_seconds=0.1,
            policy=RetryPolicy(max_attempts=50, first_backoff=timedelta(seconds=0.5)),
        ),
        worker=name,
    )


async def test_two_replicas_with_a_short_lease_and_slow_sends_send_nobody_two(
    services: Services,
) -> None:
    live = dataclasses.replace(services, clock=SystemClock())
    await add_item(live.db, slug="a", topics=("product",), now=live.clock.now())
    async with live.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        session.add_all(
            Person(workspace_id=workspace.id, external_id=user, status=ProgrammeStatus.IN)
            for user in USERS
        )
    assert await plan_picks(live, workspace=workspace, occurrence=live.clock.now()) == len(USERS)
    async with FakeSlack(team_id=WORKSPACE, latency=0.01) as slack:
        for user in USERS:
            slack.add_user(user)
        slack.rate_limit_per_second = 2
        replicas = [_replica(live, slack, f"replica-{n}") for n in (1, 2)]
        running = [asyncio.create_task(replica.run()) for replica in replicas]
        try:
            deadline = time.monotonic() + 120
            while True:
                async with live.db.session() as session:
                    if await outbox.waiting_count(session) == 0:
                        break
                assert time.monotonic() < deadline, f"{len(_delivered(slack))} of {len(USERS)}"
                await asyncio.sleep(0.2)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        assert sum(call.status == 429 for call in slack.calls) >= 3
        twice = {user: count for user, count in _delivered(slack).items() if count > 1}
        assert twice == {}
        assert set(_delivered(slack)) == set(USERS)
        assert slack.problems == []
