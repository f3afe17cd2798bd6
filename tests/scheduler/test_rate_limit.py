"""The shared token bucket: bursts, steady pace, 'slow down' penalties, one bucket per workspace."""

from __future__ import annotations

import pytest

from content_store.database import Database
from scheduler.rate_limit import Rate, RateLimiter


class ManualTime:
    """A wall clock that moves only when the limiter sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def wall_clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _limiter(
    db: Database, time: ManualTime, *, per_second: float = 2, burst: float = 3
) -> RateLimiter:
    return RateLimiter(
        db,
        rates={"slack": Rate(per_second, burst), "teams": Rate(10, 10)},
        wall_clock=time.wall_clock,
        sleep=time.sleep,
    )


async def test_a_burst_goes_at_once_then_sends_keep_the_rate(db: Database) -> None:
    time = ManualTime()
    limiter = _limiter(db, time)
    start = time.now
    for _ in range(3 + 4):
        await limiter.acquire(platform="slack", workspace="T1")
    # Three from the burst, then four more at two a second.
    assert time.now - start == pytest.approx(2.0)


async def test_replicas_share_one_bucket_per_workspace(db: Database) -> None:
    time = ManualTime()
    first, second = _limiter(db, time), _limiter(db, time)
    for limiter in (first, second, first):
        await limiter.acquire(platform="slack", workspace="T1")
    assert time.slept == []
    await second.acquire(platform="slack", workspace="T1")
    assert sum(time.slept) == pytest.approx(0.5)
    await first.acquire(platform="slack", workspace="T2")  # another workspace: its own bucket
    assert sum(time.slept) == pytest.approx(0.5)


async def test_a_penalty_holds_every_send_to_the_workspace(db: Database) -> None:
    time = ManualTime()
    limiter = _limiter(db, time)
    await limiter.penalise(platform="slack", workspace="T1", seconds=30)
    start = time.now
    await limiter.acquire(platform="slack", workspace="T1")
    assert time.now - start >= 30


async def test_unknown_platforms_get_the_strictest_rate() -> None:
    limiter = RateLimiter(Database("sqlite+aiosqlite://"), rates={"a": Rate(5, 5), "b": Rate(1, 2)})
    assert limiter.rate_of("c") == Rate(1, 2)
    with pytest.raises(ValueError, match="positive"):
        Rate(0, 1)
