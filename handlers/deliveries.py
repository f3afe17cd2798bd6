"""Scheduled sends as use cases: who is due in a slot, what each message says, sending one."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import itertools
import logging
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from content_store import outbox
from content_store.events import record_event, record_events
from content_store.models import Workspace
from content_store.outbox import ClaimedDelivery, PersonState, PlannedDelivery, new_claim
from domain.errors import InvalidInput
from domain.events import EventType
from domain.programme import ProgrammeStatus, Role
from domain.schedules import cadence_allows, personally_paused, zone
from handlers import channel_mode
from handlers.accounts import CONNECTED, POST, ConnectedDelivery, PostDelivery
from handlers.context import Services, load_caller, require_role
from handlers.manager_digest import DIGEST, DigestDelivery
from handlers.picks_batch import compose_picks
from handlers.reminders import REMINDER, ReminderDelivery
from handlers.types import Actor, DeliveryError, Messenger, Reply, SentLookup
from handlers.weekly_picks import attach_items, picks_reply, prepare_picks, week_of, week_slot
from messages import translate

log = logging.getLogger(__name__)

PICKS = "picks"


class Outcome(enum.StrEnum):
    """How one claimed send ended."""

    SENT = "sent"
    SKIPPED = "skipped"
    RETRY = "retry"
    FAILED = "failed"
    RELEASED = "released"
    LOST = "lost"  # another sender took the row over while this one waited


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a send that failed for a passing reason is tried again."""

    max_attempts: int = 5
    first_backoff: timedelta = timedelta(seconds=30)
    longest_backoff: timedelta = timedelta(hours=1)

    def backoff(self, attempts: int) -> timedelta:
        """The wait before the next attempt after `attempts` tries (doubling, capped)."""
        doubled = self.first_backoff * float(2 ** max(0, attempts - 1))
        return min(doubled, self.longest_backoff)


class DeliveryKind(Protocol):
    """What one kind of scheduled message says, and what to record once it went out."""

    async def compose(self, services: Services, claimed: ClaimedDelivery) -> Reply | None:
        """The message for this row; None when there is nothing to send any more."""
        ...

    async def sent(self, session: AsyncSession, claimed: ClaimedDelivery, *, now: datetime) -> None:
        """Record that the message reached the person (in the transaction marking it sent)."""
        ...

    def wanted(self, person: PersonState, *, now: datetime) -> bool:
        """Whether the person still consents to this message right now (read before sending)."""
        ...


def recipient(claimed: ClaimedDelivery) -> Actor:
    """The person a claimed row is for, as an actor of its platform."""
    return Actor(claimed.platform, claimed.workspace_external_id, claimed.person_external_id)


class PicksDelivery:
    """The weekly picks as a direct message: cards with editable captions."""

    def wanted(self, person: PersonState, *, now: datetime) -> bool:
        """Only to someone still in the programme and not pausing or snoozing."""
        if person.status is not ProgrammeStatus.IN:
            return False
        today = now.astimezone(zone(person.timezone)).date()
        return not personally_paused(
            person.cadence, paused_until=person.paused_until, local_today=today
        )

    async def compose(self, services: Services, claimed: ClaimedDelivery) -> Reply | None:
        """The slot's picks, chosen now (and stored on the row) unless already chosen."""
        try:
            prepared = await prepare_picks(services, recipient(claimed), slot=claimed.slot)
        except InvalidInput:
            return None  # left the programme since the slot was planned
        if not prepared.shown:
            return None
        if prepared.fresh:
            async with services.db.session() as session:
                stored = await attach_items(
                    session, delivery_id=claimed.delivery_id, shown=prepared.shown
                )
            if not stored:  # the person asked for their picks meanwhile: send those
                return await self.compose(services, claimed)
        reply = picks_reply(prepared.caller, prepared.shown, services=services, source="dm")
        return dataclasses.replace(reply, tag=f"delivery:{claimed.delivery_id}")

    async def sent(self, session: AsyncSession, claimed: ClaimedDelivery, *, now: datetime) -> None:
        """Log the picks as shown in a direct message."""
        await record_event(
            session,
            workspace_id=claimed.workspace_id,
            person_id=claimed.person_id,
            type=EventType.PICKS_SHOWN,
            payload={"slot": claimed.slot, "source": "dm"},
            at=now,
        )


KINDS: dict[str, DeliveryKind] = {
    PICKS: PicksDelivery(),
    DIGEST: DigestDelivery(),
    REMINDER: ReminderDelivery(),
    POST: PostDelivery(),
    CONNECTED: ConnectedDelivery(),
}


class Gate(Protocol):
    """What a send waits on after its message is composed: the pause switch and the rate."""

    async def open(self) -> bool:
        """Wait until the send may go; False when it must not go now (programme paused)."""
        ...

    async def throttled(self, seconds: float) -> None:
        """The platform asked everyone to wait `seconds` before sending there again."""
        ...


class OpenGate:
    """No pause check, no rate: for a single send someone asked for."""

    async def open(self) -> bool:
        """Always open."""
        return True

    async def throttled(self, seconds: float) -> None:
        """Nothing to slow down."""


async def send_claimed(
    services: Services,
    messenger: Messenger,
    claimed: ClaimedDelivery,
    *,
    policy: RetryPolicy = RetryPolicy(),
    gate: Gate | None = None,
    lease: timedelta = timedelta(minutes=2),
) -> Outcome:
    """Send one claimed row and record the outcome; the gate may still hold it back.

    A row taken over from a sender that died mid-send is first looked up on the platform,
    so a message that did go out is not sent twice.
    """
    kind = KINDS.get(claimed.kind)
    if kind is None:
        return await _finish(services, claimed, Outcome.FAILED, error="unknown kind")
    if claimed.in_doubt:
        try:
            if await _already_sent(services, messenger, claimed):
                return Outcome.SENT
        except DeliveryError as error:
            # Not known whether it went: try again later, looking it up first again.
            error.in_doubt = True
            return await _failed(services, claimed, error, policy=policy)
    try:
        reply = await kind.compose(services, claimed)
    except DeliveryError as error:
        # A kind whose composing reaches a network (a planned post) fails like a send.
        return await _failed(services, claimed, error, policy=policy)
    if reply is None:
        return await _finish(services, claimed, Outcome.SKIPPED)
    gate = gate or OpenGate()
    if not await gate.open():
        async with services.db.session() as session:
            await outbox.release(session, delivery_id=claimed.delivery_id, claim=claimed.claim)
        return Outcome.RELEASED
    held = await _still_ours_and_wanted(services, claimed, lease=lease)
    if held is not None:
        return held
    return await _send(
        services,
        messenger,
        claimed,
        reply,
        gate=gate,
        policy=policy,
        bound=outbox.in_flight_bound(lease),
    )


async def _still_ours_and_wanted(
    services: Services, claimed: ClaimedDelivery, *, lease: timedelta
) -> Outcome | None:
    """None when the send may go now; otherwise how it ended without going.

    Waiting for the rate may outlast the lease (then another sender may own the row now),
    and the person may have left, paused or erased their data while the message waited.
    """
    now = services.clock.now()
    async with services.db.session() as session:
        if not await outbox.renew(
            session, delivery_id=claimed.delivery_id, claim=claimed.claim, until=now + lease
        ):
            return Outcome.LOST
        person = (await outbox.person_states(session, person_ids=[claimed.person_id])).get(
            claimed.person_id
        )
        if person is not None and KINDS[claimed.kind].wanted(person, now=now):
            return None
        await outbox.finish(
            session,
            delivery_id=claimed.delivery_id,
            claim=claimed.claim,
            status=Outcome.SKIPPED.value,
            now=now,
            error="consent withdrawn before sending",
        )
    log.info("delivery %d not sent: the person no longer wants it", claimed.delivery_id)
    return Outcome.SKIPPED


async def _send(
    services: Services,
    messenger: Messenger,
    claimed: ClaimedDelivery,
    reply: Reply,
    *,
    gate: Gate,
    policy: RetryPolicy,
    bound: timedelta,
) -> Outcome:
    try:
        # Bounded well inside the lease renewed just before: a replica taking the row over
        # once the lease has run out can be sure this send is no longer in flight.
        async with asyncio.timeout(bound.total_seconds()):
            message_id = await messenger.send_to_user(
                workspace_id=claimed.workspace_external_id,
                user_id=claimed.person_external_id,
                reply=reply,
            )
    except TimeoutError:
        error = DeliveryError("send timed out", permanent=False, in_doubt=True)
        return await _failed(services, claimed, error, policy=policy)
    except DeliveryError as error:
        if error.retry_after:
            await gate.throttled(error.retry_after)
        return await _failed(services, claimed, error, policy=policy)
    return await _finish(services, claimed, Outcome.SENT, message_id=message_id)


async def _failed(
    services: Services, claimed: ClaimedDelivery, error: DeliveryError, *, policy: RetryPolicy
) -> Outcome:
    if error.permanent or claimed.attempts >= policy.max_attempts:
        return await _finish(services, claimed, Outcome.FAILED, error=error.reason)
    wait = max(policy.backoff(claimed.attempts), timedelta(seconds=error.retry_after or 0))
    retry_at = services.clock.now() + wait
    return await _finish(
        services,
        claimed,
        Outcome.RETRY,
        error=error.reason,
        retry_at=retry_at,
        in_doubt=error.in_doubt,
    )


async def _already_sent(services: Services, messenger: Messenger, claimed: ClaimedDelivery) -> bool:
    if not isinstance(messenger, SentLookup):
        return False  # the platform cannot tell: sending again is the lesser harm
    found = await messenger.find_sent(
        workspace_id=claimed.workspace_external_id,
        user_id=claimed.person_external_id,
        tag=f"delivery:{claimed.delivery_id}",
    )
    if found is not None:
        await _finish(services, claimed, Outcome.SENT, message_id=found)
        log.info("delivery %d had gone out before its sender stopped", claimed.delivery_id)
    return found is not None


async def _finish(
    services: Services,
    claimed: ClaimedDelivery,
    outcome: Outcome,
    *,
    message_id: str | None = None,
    error: str | None = None,
    retry_at: datetime | None = None,
    in_doubt: bool = False,
) -> Outcome:
    now = services.clock.now()
    async with services.db.session() as session:
        finished = await outbox.finish(
            session,
            delivery_id=claimed.delivery_id,
            claim=claimed.claim,
            status=outcome.value,
            now=now,
            message_id=message_id,
            error=error[:500] if error else None,
            retry_at=retry_at,
            in_doubt=in_doubt,
        )
        if finished and outcome is Outcome.SENT:
            await KINDS[claimed.kind].sent(session, claimed, now=now)
    return outcome


async def plan_picks(
    services: Services,
    *,
    workspace: Workspace,
    occurrence: datetime,
    zone_name: str | None = None,
    dry_run: bool = False,
) -> int:
    """Queue picks for everyone whose cadence is due (in one zone, or all); how many queued.

    Each person's slot is the ISO week of the occurrence in their own time zone, so a
    second run for the same week queues nobody twice. A dry run counts without writing.
    """
    async with services.db.session() as session:
        people = await outbox.participants(session, workspace=workspace, zone_name=zone_name)
        planned = [
            PlannedDelivery(
                entry.person_id, f"{PICKS}:{week_of(occurrence, entry.zone)}", PICKS, occurrence
            )
            for entry in people
            if _cadence_due(entry, occurrence)
        ]
        if dry_run:
            return await outbox.unplanned(session, planned=planned)
        return await outbox.plan(session, planned=planned)


def _cadence_due(entry: outbox.Recipient, occurrence: datetime) -> bool:
    return cadence_allows(
        entry.cadence,
        last_picks_at=entry.last_picks_at,
        paused_until=entry.paused_until,
        at=occurrence,
        local_today=occurrence.astimezone(zone(entry.zone)).date(),
    )


async def deliver_to(services: Services, messenger: Messenger, actor: Actor) -> bool:
    """Send one person this week's picks now unless their slot went out; True if sent now."""
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        slot = week_slot(caller, services)
        entry = PlannedDelivery(caller.person.id, slot, PICKS, now)
        await outbox.plan(session, planned=[entry])
        claimed = await outbox.claim_slot(
            session, person_id=caller.person.id, slot=slot, now=now, claim=new_claim("direct")
        )
    if claimed is None:
        return False
    outcome = await send_claimed(services, messenger, claimed)
    return outcome is Outcome.SENT


async def send_now(services: Services, messenger: Messenger, actor: Actor) -> Reply:
    """The content team's 'send-now': queue this week's picks for everyone due, right away."""
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
    if caller.workspace.paused:
        raise InvalidInput(
            "programme.paused_for_team",
            "The programme is paused for everyone, so nothing is sent. "
            "Say 'resume programme' to start it again.",
        )
    queued = await plan_picks(services, workspace=caller.workspace, occurrence=services.clock.now())
    await channel_mode.post_channel_picks(services, messenger, workspace=caller.workspace)
    log.info("send-now: %d deliveries queued in workspace %d", queued, caller.workspace.id)
    return Reply.text(translate("deliveries.queued", caller.locale, count=queued))


class BatchGate(Protocol):
    """What a group of sends to one workspace waits on: the pause switch and the rate."""

    async def open(self, wanted: int) -> int:
        """Wait until sends may go; how many of `wanted` may go now (0: the programme paused)."""
        ...

    async def still_open(self) -> bool:
        """Whether sends that got past `open` may still go (False: the programme paused since)."""
        ...

    async def throttled(self, seconds: float) -> None:
        """The platform asked everyone to wait `seconds` before sending there again."""
        ...


async def send_picks_batch(
    services: Services,
    messenger: Messenger,
    rows: Sequence[ClaimedDelivery],
    *,
    gate: BatchGate,
    policy: RetryPolicy = RetryPolicy(),
    lease: timedelta = timedelta(minutes=2),
    concurrency: int = 8,
    slots: asyncio.Semaphore | None = None,
) -> Counter[Outcome]:
    """Send a batch of claimed picks rows of one workspace, all held under one claim.

    Composed together, then sent as a pipeline: a feeder takes tokens and renews the claims
    (reading the people's consent alongside) a group at a time, `concurrency` workers keep
    that many sends in flight, and the sent rows are marked with their message ids in one
    statement per flush while the next sends go. `slots` bounds the sends in flight across
    batches (one replica's concurrency).
    """
    outcomes: Counter[Outcome] = Counter()
    if not rows:
        return outcomes
    claim = rows[0].claim
    replies = await compose_picks(services, rows)
    skipped = {row.delivery_id: None for row in rows if replies.get(row.delivery_id) is None}
    if skipped:
        async with services.db.session() as session:
            done = await outbox.finish_many(
                session,
                claim=claim,
                message_ids=skipped,
                status=Outcome.SKIPPED.value,
                now=services.clock.now(),
            )
        outcomes[Outcome.SKIPPED] += len(done)
    waiting = deque(row for row in rows if row.delivery_id not in skipped)
    if waiting:
        pipeline = _Pipeline(
            services,
            messenger,
            replies,
            gate=gate,
            policy=policy,
            lease=lease,
            concurrency=concurrency,
            slots=slots or asyncio.Semaphore(concurrency),
            outcomes=outcomes,
        )
        await pipeline.run(waiting)
    return outcomes


# How long a flush of sent rows waits for more to come in: fewer statements, and a crash in
# between only leaves a few sent rows in doubt (looked up on the platform, not sent twice).
FLUSH_WAIT = 0.05
# How many times the concurrency the feeder takes tokens for and renews in one round trip
# (the rate permitting); its two statements then no longer pace the sends.
LOOKAHEAD = 4


@runtime_checkable
class RequestCount(Protocol):
    """A messenger whose one message may take several requests, each counting to the rate."""

    def requests_for(self, reply: Reply | None) -> int:
        """How many requests sending `reply` to a person makes."""
        ...


@dataclass(frozen=True)
class _Ready:
    """A row past the gate, its claim renewed at `renewed` (the loop's clock)."""

    row: ClaimedDelivery
    renewed: float


class _Pipeline:
    """The sends of one batch: fed a group at a time, posted continuously, marked in flushes."""

    def __init__(
        self,
        services: Services,
        messenger: Messenger,
        replies: dict[int, Reply | None],
        *,
        gate: BatchGate,
        policy: RetryPolicy,
        lease: timedelta,
        concurrency: int,
        slots: asyncio.Semaphore,
        outcomes: Counter[Outcome],
    ) -> None:
        self.services, self.messenger, self.replies = services, messenger, replies
        self.gate, self.policy, self.lease, self.slots = gate, policy, lease, slots
        self.concurrency = max(1, concurrency)
        self.outcomes = outcomes
        self.bound = outbox.in_flight_bound(lease)
        # The feeder works a few sends' worth ahead, so no worker waits on its round trips.
        self.lookahead = self.concurrency * LOOKAHEAD
        self.ready: asyncio.Queue[_Ready | None] = asyncio.Queue(maxsize=self.lookahead)
        self.sent: dict[int, str | None] = {}
        self.sent_rows: list[ClaimedDelivery] = []
        self.flusher: asyncio.Task[None] | None = None
        self.stopped = False  # the programme got paused: nothing more goes

    async def run(self, waiting: deque[ClaimedDelivery]) -> None:
        """Send every waiting row (or hand it back if the programme gets paused)."""
        claim = waiting[0].claim
        async with asyncio.TaskGroup() as group:
            for _ in range(self.concurrency):
                group.create_task(self._work())
            group.create_task(self._feed(waiting, claim=claim))
        while self.flusher is not None:
            await self.flusher

    async def _feed(self, waiting: deque[ClaimedDelivery], *, claim: str) -> None:
        tokens = 0  # taken from the rate and not spent yet
        try:
            while waiting and not self.stopped:
                group = list(itertools.islice(waiting, self.lookahead))
                wanted = sum(self._cost(row) for row in group) - tokens
                if wanted > 0:
                    allowed = await self.gate.open(wanted)
                    if allowed <= 0:
                        self.stopped = True
                        break
                    tokens += allowed
                taken: list[ClaimedDelivery] = []
                while waiting and tokens >= self._cost(waiting[0]) and len(taken) < len(group):
                    tokens -= self._cost(waiting[0])
                    taken.append(waiting.popleft())
                if not taken:
                    continue  # a message of several requests waits for more tokens
                held = await _held_and_wanted(
                    self.services, taken, lease=self.lease, outcomes=self.outcomes
                )
                renewed = asyncio.get_running_loop().time()
                for row in held:
                    await self.ready.put(_Ready(row, renewed))
            if waiting:
                await self._release(list(waiting), claim=claim)
        finally:
            for _ in range(self.concurrency):
                await self.ready.put(None)

    def _cost(self, row: ClaimedDelivery) -> int:
        """Tokens one row's message takes: the platform's requests for it (Teams: per card)."""
        if isinstance(self.messenger, RequestCount):
            return max(1, self.messenger.requests_for(self.replies[row.delivery_id]))
        return 1

    async def _work(self) -> None:
        while (item := await self.ready.get()) is not None:
            row = item.row
            if self.stopped or not await self.gate.still_open():
                self.stopped = True
                await self._release([row], claim=row.claim)
                continue
            if not await self._fresh(item):
                continue
            async with self.slots:
                result = await _post(
                    self.messenger, row, self.replies[row.delivery_id], bound=self.bound
                )
            if isinstance(result, DeliveryError):
                if result.retry_after:
                    await self.gate.throttled(result.retry_after)
                self.outcomes[await _failed(self.services, row, result, policy=self.policy)] += 1
            else:
                self._record(row, result)

    async def _fresh(self, item: _Ready) -> bool:
        """Renew a claim that waited in the queue long enough to eat into the send's bound."""
        waited = asyncio.get_running_loop().time() - item.renewed
        if waited < self.bound.total_seconds() / 4:
            return True
        row = item.row
        async with self.services.db.session() as session:
            held = await outbox.renew_many(
                session,
                ids=[row.delivery_id],
                claim=row.claim,
                until=self.services.clock.now() + self.lease,
            )
        if not held:
            self.outcomes[Outcome.LOST] += 1
        return bool(held)

    def _record(self, row: ClaimedDelivery, message_id: str | None) -> None:
        self.sent[row.delivery_id] = message_id
        self.sent_rows.append(row)
        if self.flusher is None:
            self.flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        """Mark what was sent, one statement for all that came in since the last flush."""
        try:
            if len(self.sent) < self.concurrency:
                await asyncio.sleep(FLUSH_WAIT)  # let a few more sends end first
            while self.sent:
                sent, rows = self.sent, self.sent_rows
                self.sent, self.sent_rows = {}, []
                marked = await _mark_sent(self.services, rows, sent, claim=rows[0].claim)
                self.outcomes[Outcome.SENT] += marked
        finally:
            self.flusher = None

    async def _release(self, rows: list[ClaimedDelivery], *, claim: str) -> None:
        async with self.services.db.session() as session:
            await outbox.release_many(session, ids=[row.delivery_id for row in rows], claim=claim)
        self.outcomes[Outcome.RELEASED] += len(rows)


async def _held_and_wanted(
    services: Services,
    group: Sequence[ClaimedDelivery],
    *,
    lease: timedelta,
    outcomes: Counter[Outcome],
) -> list[ClaimedDelivery]:
    """The rows of the group still ours and still wanted by their people, read together."""
    now = services.clock.now()
    async with services.db.session() as session:
        held = set(
            await outbox.renew_many(
                session,
                ids=[row.delivery_id for row in group],
                claim=group[0].claim,
                until=now + lease,
            )
        )
        people = await outbox.person_states(session, person_ids=[row.person_id for row in group])
        ready: list[ClaimedDelivery] = []
        unwanted: dict[int, str | None] = {}
        for row in group:
            if row.delivery_id not in held:
                outcomes[Outcome.LOST] += 1
                continue
            person = people.get(row.person_id)
            if person is not None and KINDS[row.kind].wanted(person, now=now):
                ready.append(row)
            else:
                unwanted[row.delivery_id] = None
        if unwanted:
            await outbox.finish_many(
                session,
                claim=group[0].claim,
                message_ids=unwanted,
                status=Outcome.SKIPPED.value,
                now=now,
                error="consent withdrawn before sending",
            )
            outcomes[Outcome.SKIPPED] += len(unwanted)
    return ready


async def _post(
    messenger: Messenger, row: ClaimedDelivery, reply: Reply | None, *, bound: timedelta
) -> str | DeliveryError:
    assert reply is not None
    try:
        async with asyncio.timeout(bound.total_seconds()):
            return await messenger.send_to_user(
                workspace_id=row.workspace_external_id,
                user_id=row.person_external_id,
                reply=reply,
            )
    except TimeoutError:
        return DeliveryError("send timed out", permanent=False, in_doubt=True)
    except DeliveryError as error:
        return error


async def _mark_sent(
    services: Services,
    rows: Sequence[ClaimedDelivery],
    sent: dict[int, str | None],
    *,
    claim: str,
) -> int:
    if not sent:
        return 0
    now = services.clock.now()
    async with services.db.session() as session:
        marked = set(
            await outbox.finish_many(
                session, claim=claim, message_ids=sent, status=Outcome.SENT.value, now=now
            )
        )
        await record_events(
            session,
            events=[
                {
                    "workspace_id": row.workspace_id,
                    "person_id": row.person_id,
                    "type": EventType.PICKS_SHOWN,
                    "payload": {"slot": row.slot, "source": "dm"},
                    "at": now,
                }
                for row in rows
                if row.delivery_id in marked
            ],
        )
    return len(marked)
