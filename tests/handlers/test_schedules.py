"""The schedule command: everyone may look, only admins may change, and changes are audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from content_store.models import AuditEntry, Schedule
from domain.errors import InvalidInput
from domain.programme import Role
from handlers.commands import run_command
from handlers.context import Services
from handlers.types import Reply
from tests.factories import actor, grant
from tests.fakes import FakeMessenger


def _text(reply: object) -> str:
    assert isinstance(reply, Reply)
    return "\n".join(getattr(block, "text", "") for block in reply.blocks)


async def test_the_schedule_shows_defaults_in_the_persons_language(services: Services) -> None:
    english = _text(await run_command(services, actor(), "schedule", messenger=FakeMessenger()))
    assert "Weekly picks: every Monday at 10:00" in english
    assert "Manager digest: every Friday at 15:00" in english and "within 6 hours" in english
    dutch = _text(
        await run_command(services, actor("U2", locale="nl"), "schedule", messenger=FakeMessenger())
    )
    assert "Wekelijkse suggesties: elke maandag om 10:00" in dutch and "binnen 6 uur" in dutch


async def test_only_admins_change_the_schedule(services: Services) -> None:
    await grant(services.db, "U-CT", Role.CONTENT)
    with pytest.raises(InvalidInput) as refused:
        await run_command(
            services, actor("U-CT"), "schedule picks tue 09:30", messenger=FakeMessenger()
        )
    assert refused.value.code == "role.missing"
    async with services.db.session() as session:
        assert (await session.execute(select(Schedule))).first() is None


async def test_an_admin_moves_and_switches_off_a_send_and_it_is_audited(
    services: Services,
) -> None:
    await grant(services.db, "U-ADMIN", Role.ADMIN)
    moved = await run_command(
        services, actor("U-ADMIN"), "schedule picks tue 09:30", messenger=FakeMessenger()
    )
    assert "Weekly picks: now every Tuesday at 09:30" in _text(moved)
    await run_command(services, actor("U-ADMIN"), "schedule digest off", messenger=FakeMessenger())
    shown = _text(await run_command(services, actor(), "schedule", messenger=FakeMessenger()))
    assert "Weekly picks: every Tuesday at 09:30" in shown
    assert "Manager digest: every Friday at 15:00 — off" in shown
    async with services.db.session() as session:
        actions = (await session.execute(select(AuditEntry.action, AuditEntry.target))).all()
    assert set(actions) == {("schedule.change", "picks"), ("schedule.change", "digest")}


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("schedule newsletter mon 10:00", "schedule.unknown_kind"),
        ("schedule picks someday 10:00", "schedule.bad_day"),
        ("schedule picks mon 25:00", "schedule.bad_time"),
        ("schedule picks mon", "command.schedule"),
        ("schedule picks mon 10:00 extra", "command.schedule"),
    ],
)
async def test_malformed_schedules_are_refused_by_name(
    services: Services, command: str, code: str
) -> None:
    await grant(services.db, "U-ADMIN", Role.ADMIN)
    with pytest.raises(InvalidInput) as refused:
        await run_command(services, actor("U-ADMIN"), command, messenger=FakeMessenger())
    assert refused.value.code == code
