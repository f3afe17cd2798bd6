"""Consent is read again right before each send, not only when the message was composed.

Regression (issue 16 item 7): with a rate of 1 a second, people who said `out` while their
picks waited for the limiter still got them seconds later.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content_store.models import Delivery
from content_store.people import get_or_create_workspace
from handlers import my_data, programme
from handlers.context import Services
from handlers.deliveries import Outcome, plan_picks
from handlers.types import Reply
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, actor, add_item
from tests.fakes import FakeMessenger

pytestmark = pytest.mark.faults

USERS = [f"U{index:02d}" for index in range(8)]


class ChangingMinds(FakeMessenger):
    """While the first message goes out, most of the others change their minds."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.changed: dict[str, str] = {}

    async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
        if not self.sent:
            await self._change_minds(first=user_id)
        return await super().send_to_user(workspace_id=workspace_id, user_id=user_id, reply=reply)

    async def _change_minds(self, *, first: str) -> None:
        others = [user for user in USERS if user != first][:-1]  # the last one stays
        today = self.services.clock.now().date()
        for index, user in enumerate(others):
            who = actor(user)
            match index % 4:
                case 0:
                    await programme.answer_invitation(self.services, who, "no")
                    self.changed[user] = "out"
                case 1:
                    await programme.pause_me(self.services, who, until=None)
                    self.changed[user] = "paused"
                case 2:
                    await programme.pause_me(self.services, who, until=today + timedelta(days=7))
                    self.changed[user] = "snoozed"
                case _:
                    await my_data.forget_me(self.services, who)
                    self.changed[user] = "erased"


async def test_people_who_say_out_while_their_picks_wait_for_the_rate_get_nothing(
    services: Services, clock: FakeClock
) -> None:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    for user in USERS:
        await programme.answer_invitation(services, actor(user), "in")
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
    assert await plan_picks(services, workspace=workspace, occurrence=clock.now()) == len(USERS)
    messenger = ChangingMinds(services)
    sender = Sender(
        services,
        messengers={"slack": messenger},
        # One a second: every message but the first is composed and then waits its turn.
        limiter=RateLimiter(services.db, rates={"slack": Rate(1, 1)}),
        config=SenderConfig(concurrency=len(USERS), pause_check_seconds=0),
        worker="consent-sender",
    )
    outcomes = await sender.drain()
    assert len(messenger.changed) == len(USERS) - 2
    got = set(messenger.recipients())
    wrongly = {user: why for user, why in messenger.changed.items() if user in got}
    assert wrongly == {}
    assert len(got) == 2 and outcomes[Outcome.SENT] == 2
    async with services.db.session() as session:
        statuses = list((await session.execute(select(Delivery.status))).scalars())
    assert "sending" not in statuses and "pending" not in statuses
