"""Sending people their picks: each delivery written first, sent once, then marked sent."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from content_store.models import Delivery, Person, Workspace
from domain.errors import InvalidInput
from domain.programme import Cadence, ProgrammeStatus, Role
from handlers import channel_mode
from handlers.context import Services, load_caller, require_role
from handlers.types import Actor, DeliveryError, Messenger, Reply
from handlers.weekly_picks import PreparedPicks, picks_reply, prepare_picks, record_delivery
from messages import translate

log = logging.getLogger(__name__)

# The least time between two deliveries for each cadence.
CADENCE_GAP = {
    Cadence.WEEKLY: timedelta(days=0),
    Cadence.FORTNIGHTLY: timedelta(days=13),
    Cadence.MONTHLY: timedelta(days=27),
}


@dataclass
class DeliveryReport:
    """What one run of deliveries did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


async def _recipients(services: Services, workspace_id: int) -> list[Person]:
    async with services.db.session() as session:
        query = select(Person).where(
            Person.workspace_id == workspace_id, Person.status == ProgrammeStatus.IN
        )
        return list((await session.execute(query.order_by(Person.id))).scalars())


async def _due(services: Services, person: Person) -> bool:
    today = services.clock.now().date()
    if person.cadence is Cadence.PAUSED:
        return person.paused_until is not None and person.paused_until <= today
    gap = CADENCE_GAP[person.cadence]
    async with services.db.session() as session:
        last = await session.scalar(
            select(Delivery.due_at)
            .where(Delivery.person_id == person.id, Delivery.kind == "picks")
            .order_by(Delivery.due_at.desc())
            .limit(1)
        )
    return last is None or services.clock.now() - last >= gap


async def deliver_to(services: Services, messenger: Messenger, actor: Actor) -> bool:
    """Send one person this week's picks unless the slot was already sent; True if sent now.

    A slot recorded but not sent (a retryable failure, or a crash before the send) is sent
    with the picks recorded for it, so the person sees what was chosen, once.
    """
    prepared = await prepare_picks(services, actor)
    if not prepared.shown:
        return False
    delivery_id = await _delivery_to_send(services, prepared)
    if delivery_id is None:
        return False
    reply = picks_reply(prepared.caller, prepared.shown, services=services, source="dm")
    try:
        message_id = await messenger.send_to_user(
            workspace_id=actor.workspace_id, user_id=actor.user_id, reply=reply
        )
    except DeliveryError as error:
        status = "failed" if error.permanent else "retry"
        await _mark(services, delivery_id, status=status, error=error.reason[:500])
        raise
    await _mark(services, delivery_id, status="sent", message_id=message_id)
    return True


async def _delivery_to_send(services: Services, prepared: PreparedPicks) -> int | None:
    async with services.db.session() as session:
        if prepared.fresh:
            return await record_delivery(
                session, prepared=prepared, services=services, status="pending", source="dm"
            )
        query = select(Delivery.id, Delivery.status).filter_by(
            person_id=prepared.caller.person.id, slot=prepared.slot
        )
        row = (await session.execute(query)).first()
    return row[0] if row is not None and row[1] in ("pending", "retry") else None


async def _mark(
    services: Services,
    delivery_id: int,
    *,
    status: str,
    message_id: str | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, object] = {
        "status": status,
        "error": error,
        "attempts": Delivery.attempts + 1,
    }
    if status == "sent":
        values.update(sent_at=services.clock.now(), platform_message_id=message_id)
    async with services.db.session() as session:
        await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(values))


async def deliver_workspace(
    services: Services, messenger: Messenger, *, workspace: Workspace
) -> DeliveryReport:
    """Send picks to everyone in the programme whose cadence is due (nobody while paused)."""
    report = DeliveryReport()
    if workspace.paused:
        return report
    for person in await _recipients(services, workspace.id):
        if not await _due(services, person):
            report.skipped += 1
            continue
        actor = Actor(workspace.platform, workspace.external_id, person.external_id)
        try:
            sent = await deliver_to(services, messenger, actor)
        except (DeliveryError, InvalidInput) as error:
            report.failed += 1
            report.errors.append(f"{person.external_id}: {error}")
            continue
        report.sent += int(sent)
        report.skipped += int(not sent)
    return report


async def send_now(services: Services, messenger: Messenger, actor: Actor) -> Reply:
    """The content team's 'send-now': this week's picks to everyone due, right away."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
    if caller.workspace.paused:
        raise InvalidInput(
            "programme.paused", "The programme is paused for the moment. Please check back later."
        )
    report = await deliver_workspace(services, messenger, workspace=caller.workspace)
    await channel_mode.post_channel_picks(services, messenger, workspace=caller.workspace)
    log.info("send-now: %d sent, %d skipped, %d failed", report.sent, report.skipped, report.failed)
    return Reply.text(
        translate(
            "deliveries.report",
            caller.locale,
            sent=report.sent,
            skipped=report.skipped,
            failed=report.failed,
        )
    )
