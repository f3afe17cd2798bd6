"""How many SQL statements one delivery costs the sender (issue 18: a handful, not ~22).

Counted with SQLAlchemy's cursor events over a whole drain of the outbox, then divided by the
number of messages sent; BEGIN/COMMIT are not statements SQLAlchemy executes through a cursor.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import event

from content_store.people import get_or_create_workspace
from handlers import programme
from handlers.context import Services
from handlers.deliveries import Outcome, plan_picks
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig
from tests.conftest import FakeClock
from tests.factories import WORKSPACE, actor, add_item
from tests.fakes import FakeMessenger

PEOPLE = 60
# The target of issue 18 is "a handful"; the sender before batching ran about 22.
MOST_PER_DELIVERY = 5.0


async def statements_per_delivery(services: Services, clock: FakeClock) -> float:
    """Plan picks for PEOPLE people, drain the outbox, and count the drain's statements."""
    for slug, topic in (("a", "product"), ("b", "culture"), ("c", "ai"), ("d", "product")):
        await add_item(services.db, slug=slug, topics=(topic,), now=clock.now())
    for index in range(PEOPLE):
        await programme.answer_invitation(services, actor(f"U{index:03d}"), "in")
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
    assert await plan_picks(services, workspace=workspace, occurrence=clock.now()) == PEOPLE
    messenger = FakeMessenger()
    sender = Sender(
        services,
        messengers={"slack": messenger},
        limiter=RateLimiter(services.db, rates={"slack": Rate(1000, 1000)}),
        config=SenderConfig(pause_check_seconds=0.25),
        worker="counting-sender",
    )
    counted: Counter[str] = Counter()

    def count(*args: Any) -> None:
        counted[str(args[2]).split(None, 1)[0].upper()] += 1

    engine = services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        outcomes = await sender.drain()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert outcomes == {Outcome.SENT: PEOPLE}
    assert len(set(messenger.recipients())) == PEOPLE
    return sum(counted.values()) / PEOPLE


async def test_a_delivery_costs_a_handful_of_statements(
    services: Services, clock: FakeClock
) -> None:
    per_delivery = await statements_per_delivery(services, clock)
    print(f"statements per delivery: {per_delivery:.2f}")
    assert per_delivery <= MOST_PER_DELIVERY
