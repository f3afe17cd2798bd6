"""The fan-out: claim due outbox rows, send each within its workspace's rate, record the outcome.

Every replica runs a sender; PostgreSQL's SKIP LOCKED hands each row to exactly one of them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from content_store import outbox
from content_store.models import Workspace
from content_store.outbox import ClaimedDelivery
from handlers.context import Services
from handlers.deliveries import PICKS, Outcome, RetryPolicy, send_claimed, send_picks_batch
from handlers.types import Messenger
from scheduler.rate_limit import RateLimiter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SenderConfig:
    """How hard one replica works the outbox."""

    concurrency: int = 8
    # Rows claimed and composed together; sends still go in groups of at most `concurrency`.
    batch_size: int = 64
    lease: timedelta = timedelta(minutes=2)
    poll_seconds: float = 1.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    # How stale the paused flag may be; the crisis switch promises a stop within a second.
    pause_check_seconds: float = 0.25


def worker_name() -> str:
    """A name unique to this process, stored on the rows it holds."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class PauseWatch:
    """Whether a workspace is paused, read afresh at most every `ttl` seconds.

    The crisis switch must stop sends within a second, so the cache is kept well below that.
    """

    def __init__(self, services: Services, *, ttl: float = 0.25) -> None:
        self._services = services
        self._ttl = ttl
        self._seen: dict[int, tuple[bool, float]] = {}
        # One read at a time per workspace: the sends waiting on it then share its answer.
        self._reading: dict[int, asyncio.Lock] = {}

    async def paused(self, workspace_id: int) -> bool:
        """True while the workspace's programme is paused."""
        cached = self._fresh(workspace_id)
        if cached is not None:
            return cached
        async with self._reading.setdefault(workspace_id, asyncio.Lock()):
            cached = self._fresh(workspace_id)
            if cached is not None:
                return cached
            started = time.monotonic()
            async with self._services.db.session() as session:
                query = select(Workspace.paused).where(Workspace.id == workspace_id)
                paused = bool(await session.scalar(query))
            # Stamped with when the read began, so an answer is never older than the ttl.
            self._seen[workspace_id] = (paused, started)
        return paused

    def _fresh(self, workspace_id: int) -> bool | None:
        cached = self._seen.get(workspace_id)
        if cached is not None and time.monotonic() - cached[1] < self._ttl:
            return cached[0]
        return None


class WorkspaceGate:
    """A send waits for its workspace's rate, and does not go if the programme got paused."""

    def __init__(self, claimed: ClaimedDelivery, *, pauses: PauseWatch, limiter: RateLimiter):
        self._claimed = claimed
        self._pauses = pauses
        self._limiter = limiter

    async def open(self) -> bool:
        """Wait for a token; False if the workspace is (or became) paused."""
        workspace_id = self._claimed.workspace_id
        if await self._pauses.paused(workspace_id):
            return False
        await self._limiter.acquire(**self._key())
        return not await self._pauses.paused(workspace_id)

    async def throttled(self, seconds: float) -> None:
        """Hold every replica's sends to this workspace for `seconds`."""
        await self._limiter.penalise(**self._key(), seconds=seconds)

    def _key(self) -> dict[str, str]:
        return {
            "platform": self._claimed.platform,
            "workspace": self._claimed.workspace_external_id,
        }


class WorkspaceBatchGate:
    """A group of sends waits for its workspace's rate, and does not go if it got paused."""

    def __init__(
        self, claimed: ClaimedDelivery, *, pauses: PauseWatch, limiter: RateLimiter
    ) -> None:
        self._claimed = claimed
        self._pauses = pauses
        self._limiter = limiter

    async def open(self, wanted: int) -> int:
        """Wait for tokens; how many sends may go now (0 if the workspace is paused)."""
        workspace_id = self._claimed.workspace_id
        if await self._pauses.paused(workspace_id):
            return 0
        allowed = await self._limiter.acquire_many(**self._key(), wanted=wanted)
        return 0 if await self._pauses.paused(workspace_id) else allowed

    async def still_open(self) -> bool:
        """Whether the workspace is still unpaused (read afresh at most every pause check)."""
        return not await self._pauses.paused(self._claimed.workspace_id)

    async def throttled(self, seconds: float) -> None:
        """Hold every replica's sends to this workspace for `seconds`."""
        await self._limiter.penalise(**self._key(), seconds=seconds)

    def _key(self) -> dict[str, str]:
        return {
            "platform": self._claimed.platform,
            "workspace": self._claimed.workspace_external_id,
        }


class Sender:
    """Claims due rows in batches, composes each batch together, and sends it as the rate
    allows; while one batch sends, the next is claimed and composed."""

    def __init__(
        self,
        services: Services,
        *,
        messengers: Mapping[str, Messenger],
        limiter: RateLimiter,
        config: SenderConfig = SenderConfig(),
        worker: str | None = None,
    ) -> None:
        self.services = services
        self.messengers = dict(messengers)
        self.limiter = limiter
        self.config = config
        self.worker = worker or worker_name()
        self.outcomes: Counter[Outcome] = Counter()
        self._pauses = PauseWatch(services, ttl=config.pause_check_seconds)
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        # Claims with rows still in progress here, and how many: the heartbeat keeps them.
        self._held: Counter[str] = Counter()
        # Sends in flight on this replica, whichever batch they belong to.
        self._slots = asyncio.Semaphore(config.concurrency)

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Work the outbox until cancelled."""
        log.info("sender %s working the outbox", self.worker)
        heartbeat = asyncio.create_task(self._heartbeat(), name="outbox-heartbeat")
        try:
            while True:
                if not await self.step():
                    await self._idle()
        finally:
            await self._cancel_in_flight()
            heartbeat.cancel()

    async def drain(self) -> Counter[Outcome]:
        """Send everything due now and return once nothing is left in flight (tests, CLI)."""
        heartbeat = asyncio.create_task(self._heartbeat(), name="outbox-heartbeat")
        try:
            while await self.step() or self._tasks:
                if self._tasks:
                    await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            heartbeat.cancel()
        return self.outcomes

    async def _heartbeat(self) -> None:
        """Keep the lease of every row in progress here alive, however long its send waits
        (for the rate, for Slack's Retry-After): a replica takes over only a dead sender's rows.
        """
        interval = self.config.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            if not self._held:
                continue
            try:
                async with self.services.db.session() as session:
                    await outbox.keep_alive(
                        session,
                        claims=list(self._held),
                        until=self.services.clock.now() + self.config.lease,
                    )
            except Exception:
                # Each send renews its own lease before it goes, and is bounded inside it.
                log.warning("outbox heartbeat failed; trying again", exc_info=True)

    async def step(self) -> int:
        """Claim a batch if there is room for one and start working it; how many rows."""
        if len(self._tasks) >= 2:  # one batch sending, the next composed and waiting
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            return 1
        claimed = await self._claim(self.config.batch_size)
        if claimed:
            task = asyncio.create_task(self._batch(claimed), name="outbox-batch")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def _batch(self, claimed: list[ClaimedDelivery]) -> None:
        """Picks go together per workspace; anything else (and rows in doubt) one by one."""
        grouped: dict[int, list[ClaimedDelivery]] = {}
        single: list[ClaimedDelivery] = []
        for row in claimed:
            if row.kind == PICKS and not row.in_doubt:
                grouped.setdefault(row.workspace_id, []).append(row)
            else:
                single.append(row)
        room = asyncio.Semaphore(self.config.concurrency)

        async def one(row: ClaimedDelivery) -> None:
            async with room:
                await self._process(row)

        await asyncio.gather(
            *(self._picks(rows) for rows in grouped.values()), *(one(row) for row in single)
        )

    async def _claim(self, limit: int) -> list[ClaimedDelivery]:
        async with self.services.db.session() as session:
            return await outbox.claim_due(
                session,
                now=self.services.clock.now(),
                limit=limit,
                lease=self.config.lease,
                claim=outbox.new_claim(self.worker),
                platforms=tuple(self.messengers),
            )

    async def _picks(self, rows: list[ClaimedDelivery]) -> None:
        gate = WorkspaceBatchGate(rows[0], pauses=self._pauses, limiter=self.limiter)
        self._held[rows[0].claim] += len(rows)
        try:
            self.outcomes += await send_picks_batch(
                self.services,
                self.messengers[rows[0].platform],
                rows,
                gate=gate,
                policy=self.config.policy,
                lease=self.config.lease,
                concurrency=self.config.concurrency,
                slots=self._slots,
            )
        except Exception:
            # A bug or an outage must not kill the sender; the lease brings the rows back.
            log.exception("a batch of %d deliveries failed unexpectedly", len(rows))
            self.outcomes[Outcome.RETRY] += len(rows)
        finally:
            self._let_go(rows[0].claim, len(rows))

    def _let_go(self, claim: str, count: int) -> None:
        self._held[claim] -= count
        if self._held[claim] <= 0:
            del self._held[claim]

    async def _process(self, claimed: ClaimedDelivery) -> None:
        gate = WorkspaceGate(claimed, pauses=self._pauses, limiter=self.limiter)
        self._held[claimed.claim] += 1
        try:
            outcome = await send_claimed(
                self.services,
                self.messengers[claimed.platform],
                claimed,
                policy=self.config.policy,
                gate=gate,
                lease=self.config.lease,
            )
        except Exception:
            # A bug or an outage must not kill the sender; the lease brings the row back.
            log.exception("delivery %d failed unexpectedly", claimed.delivery_id)
            outcome = Outcome.RETRY
        finally:
            self._let_go(claimed.claim, 1)
        self.outcomes[outcome] += 1

    async def _idle(self) -> None:
        wake = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait(
                {wake, *self._tasks},
                timeout=self.config.poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            # Also when the sender is stopped while idle: a waiter left pending is destroyed
            # by the garbage collector later, logging from wherever that collection runs.
            wake.cancel()
        self._wake.clear()

    async def _cancel_in_flight(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
