"""Slack posted the message but answered with a failure: nobody gets it twice.

Regression (issue 16 item 5): on `internal_error`, `fatal_error` or a dropped connection after
the post, slack_sdk's retry handlers posted again and the outbox's own retry did not look
first; with 5 % such answers 9-10 of 100 people got a duplicate.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.slack.app import render_pair
from bot.slack.messenger import SlackMessenger, build_web_client
from content_store.models import Delivery, Person
from content_store.people import get_or_create_workspace
from domain.programme import ProgrammeStatus
from handlers.context import Services
from handlers.deliveries import RetryPolicy, plan_picks
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig
from tests.bot.slack.fake_slack import FakeSlack
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, add_item

pytestmark = pytest.mark.faults

USERS = [f"U{index:03d}" for index in range(100)]


def _delivered(slack: FakeSlack) -> Counter[str]:
    return Counter(
        channel.removeprefix("D")
        for (channel, _), message in slack.messages.items()
        if str((message.get("metadata") or {}).get("event_payload", {}).get("tag", "")).startswith(
            "delivery:"
        )
    )


async def test_ambiguous_failures_after_the_post_give_nobody_a_duplicate(
    services: Services, clock: FakeClock
) -> None:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        session.add_all(
            Person(workspace_id=workspace.id, external_id=user, status=ProgrammeStatus.IN)
            for user in USERS
        )
    assert await plan_picks(services, workspace=workspace, occurrence=clock.now()) == len(USERS)
    async with FakeSlack(team_id=WORKSPACE) as slack:
        for user in USERS:
            slack.add_user(user)
        slack.done_then_failed("chat.postMessage", share=0.05, seed=16)
        # The production client: it retries what it may (429s, reads), never a post blindly.
        client = build_web_client(token="xoxb-test", base_url=slack.base_url)
        sender = Sender(
            services,
            messengers={"slack": SlackMessenger(client=client, render=render_pair)},
            limiter=RateLimiter(services.db, rates={"slack": Rate(1000, 1000)}),
            config=SenderConfig(
                pause_check_seconds=0,
                policy=RetryPolicy(max_attempts=10, first_backoff=timedelta(seconds=1)),
            ),
            worker="ambiguous-sender",
        )
        for _ in range(10):
            await sender.drain()
            clock.advance(hours=1)
        assert sum(slack.ambiguous.values()) >= 3, slack.ambiguous
        twice = {user: count for user, count in _delivered(slack).items() if count > 1}
        assert twice == {}
        assert set(_delivered(slack)) == set(USERS)
        assert slack.problems == []
    async with services.db.session() as session:
        statuses = Counter((await session.execute(select(Delivery.status))).scalars())
    assert statuses == {"sent": len(USERS)}
