"""Fakes at the ports handlers talk through: a messenger that records what it was asked to send."""

from __future__ import annotations

from collections import Counter

from handlers.context import Services
from handlers.deliveries import Outcome
from handlers.types import DeliveryError, Reply
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender


class FakeMessenger:
    """Records direct messages; can be told to fail for some users (permanently or not)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []
        self.failing: dict[str, bool] = {}
        self.retry_after: float | None = None

    async def send_to_user(self, *, workspace_id: str, user_id: str, reply: Reply) -> str:
        """Record the message, or fail as told for this user."""
        if user_id in self.failing:
            raise DeliveryError(
                "user_not_found", permanent=self.failing[user_id], retry_after=self.retry_after
            )
        self.sent.append((user_id, reply))
        return f"D{user_id}:{len(self.sent)}"

    async def send_to_channel(self, *, workspace_id: str, channel_id: str, reply: Reply) -> str:
        """Not used by these tests."""
        raise NotImplementedError

    async def update(
        self, *, workspace_id: str, conversation_id: str, message_id: str, reply: Reply
    ) -> None:
        """Not used by these tests."""
        raise NotImplementedError

    def recipients(self) -> list[str]:
        """Who got a message, in order."""
        return [user for user, _ in self.sent]


async def drain(
    services: Services, messenger: object, *, platform: str = "slack"
) -> Counter[Outcome]:
    """Send everything due in the outbox now, as a server's sender would."""
    limiter = RateLimiter(services.db, rates={platform: Rate(per_second=1000, burst=1000)})
    sender = Sender(services, messengers={platform: messenger}, limiter=limiter)  # type: ignore[dict-item]
    return await sender.drain()
