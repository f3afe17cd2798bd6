"""A server's background work: the outbox sender on every replica, the scheduler on the leader."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.settings import Settings
from content_store.models import Workspace
from domain.schedules import ScheduleKind
from handlers import channel_mode
from handlers.context import Services
from handlers.deliveries import RetryPolicy, plan_picks
from handlers.manager_digest import plan_digests
from handlers.reminders import plan_reminders
from handlers.types import Messenger
from scheduler.leader import Leadership
from scheduler.maintenance import build_scheduler
from scheduler.planner import SlotPlanner, SlotRunner
from scheduler.rate_limit import Rate, RateLimiter
from scheduler.sender import Sender, SenderConfig

log = logging.getLogger(__name__)


def build_sender(
    settings: Settings,
    services: Services,
    messengers: Mapping[str, Messenger],
    *,
    rates: Mapping[str, Rate],
) -> Sender:
    """This replica's outbox sender, configured from settings."""
    config = SenderConfig(
        concurrency=settings.delivery_concurrency,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        poll_seconds=settings.delivery_poll_seconds,
        policy=RetryPolicy(
            max_attempts=settings.delivery_max_attempts,
            first_backoff=timedelta(seconds=settings.delivery_retry_seconds),
        ),
    )
    return Sender(
        services,
        messengers=messengers,
        # One token bucket per workspace or tenant, at each platform's configured rate.
        limiter=RateLimiter(services.db, rates=dict(rates)),
        config=config,
    )


def picks_runner(messengers: Mapping[str, Messenger]) -> SlotRunner:
    """Queue a zone's picks; in the workspace's own zone also post the channel's picks."""

    async def run(
        services: Services, workspace: Workspace, zone_name: str, occurrence: datetime
    ) -> int:
        queued = await plan_picks(
            services, workspace=workspace, occurrence=occurrence, zone_name=zone_name
        )
        messenger = messengers.get(workspace.platform)
        if messenger is not None and zone_name == (workspace.timezone or "UTC"):
            await channel_mode.post_channel_picks(services, messenger, workspace=workspace)
        return queued

    return run


class ZonePlanner(Protocol):
    """Plans one kind of outbox rows for a workspace's occurrence in one time zone."""

    def __call__(
        self,
        services: Services,
        *,
        workspace: Workspace,
        occurrence: datetime,
        zone_name: str | None = None,
    ) -> Awaitable[int]: ...


def reminders_runner() -> SlotRunner:
    """Queue the day's reminders for a zone's unanswered invitations."""
    return _zone_planner(plan_reminders)


def digest_runner() -> SlotRunner:
    """Queue the weekly digest of every manager with reports whose time zone is the slot's.

    Managers need not be in the programme, and one who said "no thanks" still gets it: the
    digest is part of leading a team, not an invitation to share (docs/product-rules.md rule 1 is
    about not pushing people to be ambassadors), so it never asks that manager to share anything.
    """
    return _zone_planner(plan_digests)


def _zone_planner(plan: ZonePlanner) -> SlotRunner:
    """A slot runner that only plans the outbox rows of one kind for one zone."""

    async def run(
        services: Services, workspace: Workspace, zone_name: str, occurrence: datetime
    ) -> int:
        return await plan(services, workspace=workspace, occurrence=occurrence, zone_name=zone_name)

    return run


class Runtime:
    """Starts and stops the sender and the leader election with the web app."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        messengers: Mapping[str, Messenger],
        *,
        rates: Mapping[str, Rate],
    ) -> None:
        self.settings = settings
        self.services = services
        self.messengers = dict(messengers)
        self.sender = build_sender(settings, services, messengers, rates=rates)
        self.leadership = Leadership(
            services.db,
            on_elected=self._elected,
            on_deposed=self._deposed,
            retry_seconds=settings.leader_retry_seconds,
        )
        self.scheduler: AsyncIOScheduler | None = None
        self.planner: SlotPlanner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def runners(self) -> dict[ScheduleKind, SlotRunner]:
        """What each kind of schedule does when it fires."""
        return {
            ScheduleKind.PICKS: picks_runner(self.messengers),
            ScheduleKind.DIGEST: digest_runner(),
            ScheduleKind.REMINDERS: reminders_runner(),
        }

    async def start(self) -> None:
        """Start sending (every replica) and campaigning for the scheduler."""
        self._tasks = [
            asyncio.create_task(self.sender.run(), name="outbox-sender"),
            asyncio.create_task(self.leadership.run(), name="leader-election"),
        ]

    async def stop(self) -> None:
        """Stop everything; the lock and any claimed rows are released by their owners."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._deposed()

    async def _elected(self) -> None:
        scheduler = build_scheduler(
            db=self.services.db,
            clock=self.services.clock,
            retention_days=self.settings.retention_days,
            services=self.services,
        )
        planner = SlotPlanner(
            self.services, scheduler, runners=self.runners(), on_planned=self.sender.wake
        )
        scheduler.add_job(
            planner.sync,
            IntervalTrigger(seconds=self.settings.schedule_sync_seconds),
            id="schedule-sync",
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now().astimezone(),
        )
        scheduler.start()
        self.scheduler, self.planner = scheduler, planner

    async def _deposed(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        self.scheduler = self.planner = None


RUNTIME = web.AppKey("runtime", Runtime)


def attach(
    app: web.Application,
    *,
    settings: Settings,
    services: Services,
    messengers: Mapping[str, Messenger],
    rates: Mapping[str, Rate],
) -> Runtime:
    """Run the background work for as long as the web app runs."""
    runtime = Runtime(settings, services, messengers, rates=rates)
    app[RUNTIME] = runtime

    async def start(_: web.Application) -> None:
        await runtime.start()

    async def stop(_: web.Application) -> None:
        await runtime.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    if not messengers:
        log.warning("no chat platform is configured: scheduled sends wait in the outbox")
    return runtime
