"""The sends of a batch as a pipeline: a slow send holds up nobody, the concurrency holds,
a message of several requests takes as many tokens, and pause reads are shared."""

from __future__ import annotations

import asyncio

from content_store.people import get_or_create_workspace
from handlers import programme
from handlers.context import Services
from handlers.deliveries import Outcome, plan_picks
from handlers.types import Reply
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import PauseWatch, Sender, SenderConfig
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, actor, add_item
from tests.fakes import FakeMessenger

USERS = [f"U{index:02d}" for index in range(12)]
# A deadlock guard, not a speed assertion: a lock-step sender would wait here forever.
GUARD_SECONDS = 60


async def _queued(services: Services, clock: FakeClock) -> None:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    for user in USERS:
        await programme.answer_invitation(services, actor(user), "in")
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
    assert await plan_picks(services, workspace=workspace, occurrence=clock.now()) == len(USERS)


def _sender(services: Services, messenger: object, limiter: RateLimiter, **config: int) -> Sender:
    return Sender(
        services,
        messengers={"slack": messenger},  # type: ignore[dict-item]
        limiter=limiter,
        config=SenderConfig(pause_check_seconds=0, **config),  # type: ignore[arg-type]
        worker="pipeline-sender",
    )


class SlowFirst(FakeMessenger):
    """The first send waits until every other person has their message."""

    def __init__(self) -> None:
        super().__init__()
        self.others_done = asyncio.Event()
        self.first: str | None = None
        self.in_flight = 0
        self.most_in_flight = 0

    async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.first is None:
                self.first = user_id
                await self.others_done.wait()
            else:
                await asyncio.sleep(0)
            sent = await super().send_to_user(
                workspace_id=workspace_id, user_id=user_id, reply=reply
            )
            if len(self.sent) == len(USERS) - 1:
                self.others_done.set()
            return sent
        finally:
            self.in_flight -= 1


async def test_a_slow_send_holds_up_none_of_the_others(
    services: Services, clock: FakeClock
) -> None:
    await _queued(services, clock)
    messenger = SlowFirst()
    limiter = RateLimiter(services.db, rates={"slack": Rate(1000, 1000)})
    sender = _sender(services, messenger, limiter, concurrency=4)

    outcomes = await asyncio.wait_for(sender.drain(), GUARD_SECONDS)

    assert outcomes == {Outcome.SENT: len(USERS)}
    assert messenger.recipients()[-1] == messenger.first
    assert sorted(messenger.recipients()) == USERS
    assert messenger.most_in_flight <= 4


class Cards(FakeMessenger):
    """A platform where a message is one request per card (as on Teams)."""

    def requests_for(self, reply: Reply | None) -> int:
        return 3


class CountingLimiter(RateLimiter):
    """Records the tokens taken."""

    taken = 0

    async def acquire_many(self, *, platform: str, workspace: str, wanted: int) -> int:
        allowed = await super().acquire_many(platform=platform, workspace=workspace, wanted=wanted)
        self.taken += allowed
        return allowed


async def test_a_message_of_several_requests_takes_a_token_for_each(
    services: Services, clock: FakeClock
) -> None:
    await _queued(services, clock)
    messenger = Cards()
    # A burst of 4: a group of sends is never more than one message's requests in one take.
    limiter = CountingLimiter(services.db, rates={"slack": Rate(1000, 4)})

    outcomes = await _sender(services, messenger, limiter, concurrency=4).drain()

    assert outcomes == {Outcome.SENT: len(USERS)}
    assert sorted(messenger.recipients()) == USERS
    assert 3 * len(USERS) <= limiter.taken < 3 * len(USERS) + 4


async def test_sends_waiting_on_the_pause_switch_share_one_read(
    services: Services, clock: FakeClock
) -> None:
    await _queued(services, clock)
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
    watch = PauseWatch(services, ttl=60)
    reads = 0
    session_of = services.db.session

    def counted() -> object:
        nonlocal reads
        reads += 1
        return session_of()

    services.db.session = counted  # type: ignore[method-assign, assignment]
    try:
        answers = await asyncio.gather(*(watch.paused(workspace.id) for _ in range(8)))
    finally:
        services.db.session = session_of  # type: ignore[method-assign]

    assert answers == [False] * 8
    assert reads == 1
