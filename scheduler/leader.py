"""Exactly one replica runs the scheduler: whoever holds a PostgreSQL session advisory lock.

The lock lives as long as the holder's database session; if that replica dies, PostgreSQL
ends the session, frees the lock, and the next replica to try takes over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from content_store.database import Database

log = logging.getLogger(__name__)

# An arbitrary 64-bit key naming "the Social Boost scheduler" among advisory locks.
SCHEDULER_LOCK_KEY = 0x5B00_57ED_0001
Callback = Callable[[], Awaitable[None]]


class Leadership:
    """Tries for the lock every `retry_seconds`, and checks the held lock's session as often."""

    def __init__(
        self,
        db: Database,
        *,
        on_elected: Callback,
        on_deposed: Callback,
        retry_seconds: float = 15.0,
        key: int = SCHEDULER_LOCK_KEY,
    ) -> None:
        self.db = db
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.retry_seconds = retry_seconds
        self.key = key
        self.is_leader = False
        self._connection: AsyncConnection | None = None

    async def run(self) -> None:
        """Campaign until cancelled; SQLite has one replica, which leads at once."""
        try:
            while True:
                await self.check()
                if not self.db.is_postgresql and self.is_leader:
                    await asyncio.Event().wait()  # nothing to re-check: wait for cancellation
                await asyncio.sleep(self.retry_seconds)
        finally:
            await self.resign()

    async def check(self) -> bool:
        """One round: take the lock if free, or confirm the one held; True while leading."""
        if not self.db.is_postgresql:
            await self._become_leader()
            return True
        holding = await self._still_held() if self.is_leader else await self._try_lock()
        if holding and not self.is_leader:
            await self._become_leader()
        elif not holding and self.is_leader:
            await self._step_down("lost its database session")
        return holding

    async def resign(self) -> None:
        """Stop leading and let the lock go (shutdown)."""
        if self.is_leader:
            await self._step_down("is shutting down")
        await self._close()

    async def _try_lock(self) -> bool:
        try:
            connection = await self._open()
            query = text("SELECT pg_try_advisory_lock(:key)")
            return bool(await connection.scalar(query, {"key": self.key}))
        except (SQLAlchemyError, OSError) as error:
            log.warning("leader election: database unreachable (%s)", type(error).__name__)
            await self._close()
            return False

    async def _still_held(self) -> bool:
        try:
            connection = await self._open()
            await connection.scalar(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError):
            await self._close()
            return False

    async def _open(self) -> AsyncConnection:
        if self._connection is None:
            connection = await self.db.engine.connect()
            # Autocommit: the lock belongs to the session, and no transaction is held open.
            self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    async def _close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await connection.invalidate()
                await connection.close()
            except (SQLAlchemyError, OSError):
                pass  # closing a dead connection has nothing left to free

    async def _become_leader(self) -> None:
        if self.is_leader:
            return
        self.is_leader = True
        log.info("this replica now runs the scheduler")
        await self.on_elected()

    async def _step_down(self, reason: str) -> None:
        self.is_leader = False
        log.warning("this replica no longer runs the scheduler: it %s", reason)
        await self.on_deposed()
