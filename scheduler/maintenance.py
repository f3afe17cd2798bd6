"""Nightly retention and regrouping, and the regular upkeep of content statuses."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from content_store import accounts, downloads, pending_content
from content_store.content import refresh_statuses
from content_store.database import Database
from content_store.events import forget_processed_events
from content_store.privacy import purge_expired_detail
from handlers.context import Clock, Services
from handlers.insights import regroup_all

log = logging.getLogger(__name__)


async def run_retention(*, db: Database, clock: Clock, retention_days: int) -> int:
    """Delete click and event detail older than the retention period; returns rows removed."""
    async with db.session() as session:
        removed = await purge_expired_detail(
            session, now=clock.now(), retention_days=retention_days
        )
        await forget_processed_events(session, before=clock.now() - timedelta(days=2))
        # Previews nobody saved and download links past their hour hold page text and files.
        removed += await pending_content.sweep(session, now=clock.now())
        removed += await downloads.sweep(session, now=clock.now())
        removed += await accounts.sweep_connect_states(session, now=clock.now())
    log.info("retention: removed %d rows older than %d days", removed, retention_days)
    return removed


async def run_status_upkeep(*, db: Database, clock: Clock) -> None:
    """Start scheduled items whose window opened; expire those whose window closed."""
    async with db.session() as session:
        await refresh_statuses(session, now=clock.now())


async def run_regroup(*, services: Services) -> int:
    """Recompute everyone's motivation group (nightly); how many people were placed."""
    return await regroup_all(services)


def build_scheduler(
    *, db: Database, clock: Clock, retention_days: int, services: Services
) -> AsyncIOScheduler:
    """The in-process scheduler with the maintenance jobs (started by the server)."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    # After retention, so groups never rest on detail that is about to be deleted.
    scheduler.add_job(
        run_regroup,
        CronTrigger(hour=4, minute=0),
        kwargs={"services": services},
        id="insights-regroup",
        coalesce=True,
        misfire_grace_time=6 * 3600,
    )
    scheduler.add_job(
        run_retention,
        CronTrigger(hour=3, minute=30),
        kwargs={"db": db, "clock": clock, "retention_days": retention_days},
        id="retention",
        coalesce=True,
        misfire_grace_time=6 * 3600,
    )
    scheduler.add_job(
        run_status_upkeep,
        IntervalTrigger(minutes=5),
        kwargs={"db": db, "clock": clock},
        id="content-status",
        coalesce=True,
        next_run_time=datetime.now().astimezone(),
    )
    return scheduler
