"""One gentle reminder for an invitation left unanswered, sent through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store import outbox
from content_store.events import record_event
from content_store.models import Person, Workspace
from content_store.outbox import ClaimedDelivery, PersonState, PlannedDelivery
from content_store.people import IMPORTED
from domain.events import EventType
from domain.programme import ProgrammeStatus
from handlers.context import Services, load_caller
from handlers.programme import welcome_reply
from handlers.types import Actor, Reply, Text
from messages import translate

REMINDER = "reminder"


def reminder_slot(invited_at: datetime) -> str:
    """One slot per invitation, so a person is reminded at most once for it."""
    return f"{REMINDER}:{int(invited_at.timestamp())}"


async def plan_reminders(
    services: Services,
    *,
    workspace: Workspace,
    occurrence: datetime,
    zone_name: str | None = None,
) -> int:
    """Queue a reminder for everyone invited long enough ago who has not answered; how many.

    People who said no, later or in have answered and are never reminded; neither is anyone
    already reminded since their invitation.
    """
    cutoff = occurrence - services.reminder_after
    zone = func.coalesce(func.nullif(Person.timezone, ""), workspace.timezone or "UTC")
    query = (
        select(Person.id, Person.invited_at)
        .where(
            Person.workspace_id == workspace.id,
            Person.status == ProgrammeStatus.NOT_ASKED,
            Person.invited_at.is_not(None),
            Person.invited_at <= cutoff,
            or_(Person.reminded_at.is_(None), Person.reminded_at < Person.invited_at),
            ~IMPORTED,
        )
        .order_by(Person.id)
    )
    if zone_name is not None:
        query = query.where(zone == zone_name)
    async with services.db.session() as session:
        due = (await session.execute(query)).all()
        planned = [
            PlannedDelivery(person_id, reminder_slot(invited), REMINDER, occurrence)
            for person_id, invited in due
            if invited is not None
        ]
        return await outbox.plan(session, planned=planned)


class ReminderDelivery:
    """The reminder as a direct message: a kind line and the three answers again."""

    async def compose(self, services: Services, claimed: ClaimedDelivery) -> Reply | None:
        """The reminder, unless the person answered since it was planned."""
        async with services.db.session() as session:
            person = await session.get(Person, claimed.person_id)
            if person is None or person.status is not ProgrammeStatus.NOT_ASKED:
                return None
            actor = Actor(
                claimed.platform, claimed.workspace_external_id, claimed.person_external_id
            )
            caller = await load_caller(session, actor, services)
        return reminder_reply(caller.locale)

    def wanted(self, person: PersonState, *, now: datetime) -> bool:
        """Only to someone who still has not answered the invitation."""
        return person.status is ProgrammeStatus.NOT_ASKED

    async def sent(self, session: AsyncSession, claimed: ClaimedDelivery, *, now: datetime) -> None:
        """Note the reminder on the person and in the event log (same transaction)."""
        person = await session.get(Person, claimed.person_id)
        if person is not None:
            person.reminded_at = now
        await record_event(
            session,
            workspace_id=claimed.workspace_id,
            person_id=claimed.person_id,
            type=EventType.REMINDED,
            payload={"slot": claimed.slot},
            at=now,
        )


def reminder_reply(locale: str) -> Reply:
    """The reminder text followed by the welcome's answers."""
    welcome = welcome_reply(locale)
    return Reply(
        blocks=(
            Text(translate("reminders.title", locale), heading=True),
            Text(translate("reminders.body", locale)),
            *welcome.blocks[1:],
        )
    )
