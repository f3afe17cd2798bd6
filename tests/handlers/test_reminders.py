"""One reminder per unanswered invitation, through the outbox; never to anyone who said no."""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime import Runtime
from bot.settings import Settings
from content_store.models import Event, Person, Workspace
from domain.events import EventType
from domain.schedules import ScheduleKind
from handlers import programme
from handlers.context import Services
from handlers.deliveries import KINDS
from handlers.reminders import REMINDER, plan_reminders
from handlers.types import Actions
from tests.conftest import FakeClock
from tests.factories import actor
from tests.fakes import FakeMessenger, drain


async def _workspace(services: Services) -> Workspace:
    async with services.db.session() as session:
        workspace = (await session.execute(select(Workspace))).scalar_one()
    return workspace


async def _remind(services: Services, messenger: FakeMessenger) -> int:
    workspace = await _workspace(services)
    planned = await plan_reminders(services, workspace=workspace, occurrence=services.clock.now())
    await drain(services, messenger)
    return planned


async def _invite(services: Services, *users: str) -> None:
    for user in users:
        await programme.welcome(services, actor(user))


async def test_reminders_go_once_to_the_unanswered_after_the_wait(
    services: Services, clock: FakeClock
) -> None:
    messenger = FakeMessenger()
    await _invite(services, "U1", "U2", "U3", "U4")
    await programme.answer_invitation(services, actor("U2"), "no")
    await programme.answer_invitation(services, actor("U3"), "in")
    await programme.answer_invitation(services, actor("U4"), "later")
    clock.advance(days=6, hours=23)
    assert await _remind(services, messenger) == 0
    clock.advance(hours=1)
    assert await _remind(services, messenger) == 1
    assert messenger.recipients() == ["U1"]
    clock.advance(days=1)
    assert await _remind(services, messenger) == 0
    clock.advance(days=30)
    assert await _remind(services, messenger) == 0
    assert messenger.recipients() == ["U1"]


async def test_the_reminder_carries_the_answers_and_is_recorded(
    services: Services, clock: FakeClock
) -> None:
    messenger = FakeMessenger()
    await _invite(services, "U1")
    clock.advance(days=8)
    await _remind(services, messenger)
    ((_, reply),) = messenger.sent
    actions = [block for block in reply.blocks if isinstance(block, Actions)]
    assert [b.value for b in actions[0].buttons] == ["in", "later", "no"]
    async with services.db.session() as session:
        person = (await session.execute(select(Person))).scalar_one()
        events = (await session.execute(select(Event.type))).scalars().all()
    assert person.reminded_at == clock.now()
    assert events.count(EventType.REMINDED.value) == 1
    await programme.answer_invitation(services, actor("U1"), "in")
    async with services.db.session() as session:
        joined = (
            await session.execute(select(Event).where(Event.type == EventType.OPTED_IN.value))
        ).scalar_one()
    assert joined.payload == {"after_reminder": True}


async def test_someone_who_answers_before_the_send_is_not_reminded(
    services: Services, clock: FakeClock
) -> None:
    messenger = FakeMessenger()
    await _invite(services, "U1")
    clock.advance(days=8)
    workspace = await _workspace(services)
    assert await plan_reminders(services, workspace=workspace, occurrence=clock.now()) == 1
    await programme.answer_invitation(services, actor("U1"), "no")
    await drain(services, messenger)
    assert messenger.sent == []
    async with services.db.session() as session:
        types = (await session.execute(select(Event.type))).scalars().all()
    assert EventType.REMINDED.value not in types


async def test_people_never_invited_are_not_reminded(services: Services, clock: FakeClock) -> None:
    messenger = FakeMessenger()
    await programme.show_preferences(services, actor("U1"))  # known, never invited
    clock.advance(days=30)
    assert await _remind(services, messenger) == 0


def test_the_reminder_is_a_registered_delivery_kind() -> None:
    assert REMINDER in KINDS


async def test_the_server_plans_reminders_when_their_schedule_fires(
    services: Services, clock: FakeClock
) -> None:
    settings = Settings(_env_file=None)
    runner = Runtime(settings, services, {}, rates={}).runners()[ScheduleKind.REMINDERS]
    await _invite(services, "U1")
    clock.advance(days=8)
    assert await runner(services, await _workspace(services), "UTC", clock.now()) == 1
    assert await runner(services, await _workspace(services), "Europe/Amsterdam", clock.now()) == 0
