"""One scheduler among replicas: the advisory-lock holder leads; a dead leader is replaced."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from content_store.database import Database
from scheduler.leader import Leadership


class Replica:
    """A Leadership with its elections and depositions written down."""

    def __init__(self, db: Database) -> None:
        self.events: list[str] = []
        self.leadership = Leadership(
            db, on_elected=self._elected, on_deposed=self._deposed, key=424242
        )

    async def _elected(self) -> None:
        self.events.append("elected")

    async def _deposed(self) -> None:
        self.events.append("deposed")


async def _other_engine(db: Database) -> Database:
    return Database(db.url)  # a second replica has its own connections


async def _campaign(replica: Replica, *, rounds: int = 50) -> bool:
    for _ in range(rounds):
        if await replica.leadership.check():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_exactly_one_replica_leads_and_a_resignation_hands_over(db: Database) -> None:
    other = await _other_engine(db)
    first, second = Replica(db), Replica(other)
    try:
        assert await first.leadership.check()
        if not db.is_postgresql:
            return  # SQLite: one replica, which always leads
        assert not await second.leadership.check()
        assert await first.leadership.check()  # still held
        await first.leadership.resign()
        assert await second.leadership.check()
        assert first.events == ["elected", "deposed"] and second.events == ["elected"]
    finally:
        await second.leadership.resign()
        await other.dispose()


async def test_a_leader_whose_session_died_is_replaced_and_steps_down(db: Database) -> None:
    if not db.is_postgresql:
        return
    other = await _other_engine(db)
    first, second = Replica(db), Replica(other)
    try:
        assert await first.leadership.check()
        # The leader's process dies: PostgreSQL ends its session and frees the lock.
        async with other.engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND objid = 424242 AND granted"
                )
            )
        # The lock is freed as the backend exits, a moment after the signal: a replica
        # retries its campaign, and so does this one.
        assert await _campaign(second)
        assert not await first.leadership.check()
        assert first.events == ["elected", "deposed"] and second.events == ["elected"]
    finally:
        await first.leadership.resign()
        await second.leadership.resign()
        await other.dispose()
