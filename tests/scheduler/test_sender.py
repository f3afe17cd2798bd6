"""The outbox sender: every due person once, retries, take-over after a crash, the pause switch."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from content_store import outbox
from content_store.models import Delivery, Event, RateBucket, Workspace
from content_store.people import get_or_create_workspace
from domain.programme import Role
from handlers import programme, weekly_picks, workspace_admin
from handlers.context import Services
from handlers.deliveries import Outcome, RetryPolicy, plan_picks, send_claimed
from handlers.types import Reply
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, actor, add_item, grant
from tests.fakes import FakeMessenger

USERS = [f"U{index:02d}" for index in range(12)]


async def _programme(services: Services, clock: FakeClock, users: list[str] = USERS) -> None:
    await add_item(services.db, slug="a", topics=("product",), now=clock.now())
    await add_item(services.db, slug="b", topics=("culture",), now=clock.now())
    for user in users:
        await programme.answer_invitation(services, actor(user), "in")


async def _workspace(services: Services) -> Workspace:
    async with services.db.session() as session:
        return await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)


async def _queue(services: Services) -> int:
    workspace = await _workspace(services)
    return await plan_picks(services, workspace=workspace, occurrence=services.clock.now())


def _sender(services: Services, messenger: object, **config: object) -> Sender:
    limiter = RateLimiter(services.db, rates={"slack": Rate(1000, 1000)})
    return Sender(
        services,
        messengers={"slack": messenger},  # type: ignore[dict-item]
        limiter=limiter,
        config=SenderConfig(pause_check_seconds=0, **config),  # type: ignore[arg-type]
        worker="test-sender",
    )


async def test_a_fan_out_reaches_every_participant_once(
    services: Services, clock: FakeClock
) -> None:
    await _programme(services, clock)
    messenger = FakeMessenger()
    assert await _queue(services) == len(USERS)
    assert await _sender(services, messenger).drain() == {Outcome.SENT: len(USERS)}
    assert await _queue(services) == 0
    assert await _sender(services, messenger).drain() == Counter()
    assert sorted(messenger.recipients()) == USERS
    tags = {reply.tag for _, reply in messenger.sent}
    assert len(tags) == len(USERS) and all(tag.startswith("delivery:") for tag in tags)
    async with services.db.session() as session:
        shown = await session.scalar(
            select(func.count()).select_from(Event).where(Event.type == "picks_shown")
        )
    assert shown == len(USERS)


async def test_someone_who_already_looked_at_their_picks_gets_no_message(
    services: Services, clock: FakeClock
) -> None:
    await _programme(services, clock, ["U1", "U2"])
    await _queue(services)
    await weekly_picks.show_picks(services, actor("U1"), source="home")
    messenger = FakeMessenger()
    await _sender(services, messenger).drain()
    assert messenger.recipients() == ["U2"]


class RememberingMessenger(FakeMessenger):
    """Like Slack: can look up a tagged message it delivered before."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered: dict[str, str] = {}

    async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
        message_id = await super().send_to_user(
            workspace_id=workspace_id, user_id=user_id, reply=reply
        )
        self.delivered[reply.tag] = message_id
        return message_id

    async def find_sent(self, *, workspace_id: str, user_id: str, tag: str) -> str | None:
        return self.delivered.get(tag)


async def test_a_sender_taking_over_after_a_crash_does_not_send_twice(
    services: Services, clock: FakeClock
) -> None:
    await _programme(services, clock, ["U1", "U2"])
    await _queue(services)
    messenger = RememberingMessenger()
    async with services.db.session() as session:
        held = await outbox.claim_due(
            session, now=clock.now(), limit=2, lease=SenderConfig().lease, claim="crashed"
        )
    # The crashed sender got U1's message out, then died before marking either row.
    for row in held:
        if row.person_external_id == "U1":
            await messenger.send_to_user(
                workspace_id=WORKSPACE, user_id="U1", reply=Reply(tag=f"delivery:{row.delivery_id}")
            )
    assert await _sender(services, messenger).drain() == Counter()  # leases still held
    clock.advance(minutes=3)
    assert await _sender(services, messenger).drain() == {Outcome.SENT: 2}
    assert sorted(messenger.recipients()) == ["U1", "U2"]


async def test_pausing_stops_the_fan_out_and_resuming_sends_the_rest_once(
    services: Services, clock: FakeClock
) -> None:
    await _programme(services, clock)
    await grant(services.db, "U-ADMIN", Role.CONTENT)

    class PausingMessenger(FakeMessenger):
        async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
            if len(self.sent) == 3:
                await workspace_admin.set_paused(services, actor("U-ADMIN"), paused=True)
            return await super().send_to_user(
                workspace_id=workspace_id, user_id=user_id, reply=reply
            )

    messenger = PausingMessenger()
    await _queue(services)
    outcomes = await _sender(services, messenger, concurrency=1).drain()
    assert len(messenger.sent) == 4  # the fourth was already past the gate
    # The rest of the batch, claimed with them, went back to the queue untouched.
    assert outcomes == {Outcome.SENT: 4, Outcome.RELEASED: len(USERS) - 4}
    assert await _sender(services, messenger).drain() == Counter()
    await workspace_admin.set_paused(services, actor("U-ADMIN"), paused=False)
    await _sender(services, messenger).drain()
    assert sorted(messenger.recipients()) == USERS


async def test_a_send_held_at_the_gate_goes_back_to_the_queue_untouched(
    services: Services, clock: FakeClock
) -> None:
    await _programme(services, clock, ["U1"])
    await _queue(services)
    async with services.db.session() as session:
        (claimed,) = await outbox.claim_due(
            session, now=clock.now(), limit=1, lease=SenderConfig().lease, claim="w"
        )

    class ClosedGate:
        async def open(self) -> bool:
            return False

        async def throttled(self, seconds: float) -> None:
            raise AssertionError("nothing was sent")

    messenger = FakeMessenger()
    outcome = await send_claimed(services, messenger, claimed, gate=ClosedGate())
    assert outcome is Outcome.RELEASED and messenger.sent == []
    async with services.db.session() as session:
        delivery = await session.get(Delivery, claimed.delivery_id)
    assert delivery is not None and (delivery.status, delivery.attempts) == ("pending", 0)


async def test_a_sender_whose_lease_ran_out_while_waiting_does_not_send(
    services: Services, clock: FakeClock
) -> None:
    await _programme(services, clock, ["U1"])
    await _queue(services)
    lease = SenderConfig().lease
    async with services.db.session() as session:
        (stale,) = await outbox.claim_due(
            session, now=clock.now(), limit=1, lease=lease, claim="slow"
        )
    clock.advance(minutes=3)  # the slow sender waited for the rate past its lease
    async with services.db.session() as session:
        (fresh,) = await outbox.claim_due(
            session, now=clock.now(), limit=1, lease=lease, claim="quick"
        )
    messenger = FakeMessenger()
    assert await send_claimed(services, messenger, stale) is Outcome.LOST
    assert messenger.sent == []
    assert await send_claimed(services, messenger, fresh) is Outcome.SENT
    assert messenger.recipients() == ["U1"]


async def test_resuming_after_the_grace_window_drops_stale_sends(
    services: Services, clock: FakeClock
) -> None:
    await _programme(services, clock, ["U1"])
    await grant(services.db, "U-ADMIN", Role.CONTENT)
    await _queue(services)
    await workspace_admin.set_paused(services, actor("U-ADMIN"), paused=True)
    clock.advance(hours=7)
    await workspace_admin.set_paused(services, actor("U-ADMIN"), paused=False)
    messenger = FakeMessenger()
    assert await _sender(services, messenger).drain() == Counter()
    assert messenger.sent == []


async def test_slow_down_answers_hold_the_workspace_and_retry_later(
    services: Services, clock: FakeClock
) -> None:
    await _programme(services, clock, ["U1"])
    await _queue(services)
    messenger = FakeMessenger()
    messenger.failing["U1"] = False
    messenger.retry_after = 90
    assert await _sender(services, messenger).drain() == {Outcome.RETRY: 1}
    async with services.db.session() as session:
        delivery = await session.scalar(select(Delivery))
        bucket = await session.scalar(select(RateBucket))
    assert delivery is not None and bucket is not None
    assert delivery.available_at - clock.now() >= timedelta(seconds=90)
    assert bucket.tokens < 0  # every replica now waits before sending to this workspace


async def test_transient_failures_give_up_after_the_last_attempt(
    services: Services, clock: FakeClock
) -> None:
    await _programme(services, clock, ["U1"])
    await _queue(services)
    messenger = FakeMessenger()
    messenger.failing["U1"] = False
    policy = RetryPolicy(max_attempts=2)
    assert await _sender(services, messenger, policy=policy).drain() == {Outcome.RETRY: 1}
    clock.advance(minutes=1)
    assert await _sender(services, messenger, policy=policy).drain() == {Outcome.FAILED: 1}
    clock.advance(hours=2)
    assert await _sender(services, messenger, policy=policy).drain() == Counter()


async def test_people_who_left_after_planning_are_skipped(
    services: Services, clock: FakeClock
) -> None:
    await _programme(services, clock, ["U1", "U2"])
    await _queue(services)
    await programme.answer_invitation(services, actor("U2"), "no")
    messenger = FakeMessenger()
    outcomes = await _sender(services, messenger).drain()
    assert outcomes == {Outcome.SENT: 1, Outcome.SKIPPED: 1}
    assert messenger.recipients() == ["U1"]
