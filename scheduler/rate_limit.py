"""One token bucket per workspace or tenant, kept in the database so every replica shares it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.database import Database
from content_store.models import RateBucket
from content_store.upsert import insert_or_ignore


@dataclass(frozen=True)
class Rate:
    """Sends per second, and how many may go at once after a quiet spell."""

    per_second: float
    burst: float

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate needs a positive speed and a burst of at least 1")


class RateLimiter:
    """Waits until a send to a workspace fits its rate; shared across replicas via the database.

    Time is wall-clock seconds since the epoch, the one clock replicas on different hosts share.
    """

    def __init__(
        self,
        db: Database,
        *,
        rates: dict[str, Rate],
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._rates = rates
        self._wall_clock = wall_clock
        self._sleep = sleep
        # SQLite lets one writer in at a time; queueing in-process avoids busy retries.
        self._locks: dict[str, asyncio.Lock] = {}
        self._queues: dict[str, asyncio.Lock] = {}

    def rate_of(self, platform: str) -> Rate:
        """The configured rate of a platform (the strictest one when it is unknown)."""
        if platform in self._rates:
            return self._rates[platform]
        return min(self._rates.values(), key=lambda rate: rate.per_second)

    async def acquire(self, *, platform: str, workspace: str) -> None:
        """Return once one send to the workspace is allowed (first come, first served)."""
        # One waiter per key at a time: asyncio's lock is fair, so no send starves.
        async with self._queues.setdefault(f"{platform}:{workspace}", asyncio.Lock()):
            while (wait := await self._take(platform=platform, workspace=workspace)) > 0:
                await self._sleep(wait)

    async def acquire_many(self, *, platform: str, workspace: str, wanted: int) -> int:
        """Return once at least one send is allowed; takes up to `wanted` tokens, how many.

        One round trip to the shared bucket for a whole group of sends.
        """
        async with self._queues.setdefault(f"{platform}:{workspace}", asyncio.Lock()):
            while True:
                taken, wait = await self._take_many(
                    platform=platform, workspace=workspace, wanted=wanted
                )
                if taken:
                    return taken
                await self._sleep(wait)

    async def penalise(self, *, platform: str, workspace: str, seconds: float) -> None:
        """The platform said 'slow down' for `seconds`: nobody sends there until it has passed."""
        rate, key = self.rate_of(platform), f"{platform}:{workspace}"
        async with self._lock(key), self._db.session() as session:
            bucket = await self._bucket(session, key=key, rate=rate)
            bucket.tokens = min(bucket.tokens, -seconds * rate.per_second)
            bucket.refreshed_at = self._wall_clock()

    async def _take(self, *, platform: str, workspace: str) -> float:
        rate, key = self.rate_of(platform), f"{platform}:{workspace}"
        async with self._lock(key), self._db.session() as session:
            bucket = await self._bucket(session, key=key, rate=rate)
            now = self._wall_clock()
            tokens = min(rate.burst, bucket.tokens + (now - bucket.refreshed_at) * rate.per_second)
            if tokens < 1:
                return (1 - tokens) / rate.per_second
            bucket.tokens, bucket.refreshed_at = tokens - 1, now
            return 0.0

    async def _take_many(self, *, platform: str, workspace: str, wanted: int) -> tuple[int, float]:
        rate, key = self.rate_of(platform), f"{platform}:{workspace}"
        async with self._lock(key), self._db.session() as session:
            bucket = await self._bucket(session, key=key, rate=rate)
            now = self._wall_clock()
            tokens = min(rate.burst, bucket.tokens + (now - bucket.refreshed_at) * rate.per_second)
            if tokens < 1:
                return 0, (1 - tokens) / rate.per_second
            taken = min(max(1, wanted), int(tokens))
            bucket.tokens, bucket.refreshed_at = tokens - taken, now
            return taken, 0.0

    async def _bucket(self, session: AsyncSession, *, key: str, rate: Rate) -> RateBucket:
        query = select(RateBucket).filter_by(key=key).with_for_update()
        bucket = (await session.execute(query)).scalar_one_or_none()
        if bucket is not None:
            return bucket
        values = {"key": key, "tokens": rate.burst, "refreshed_at": self._wall_clock()}
        await insert_or_ignore(session, RateBucket, values, conflict_columns=("key",))
        return (await session.execute(query)).scalar_one()

    def _lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())
