"""Prometheus metrics: request counts and latencies, plus programme totals read at scrape time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.database import Database
from content_store.models import Click, Delivery, Person, Share, Workspace

# The send rate is averaged over this window (sent_at, so it is true across replicas).
RATE_WINDOW = timedelta(minutes=1)
_UNSENT = ("pending", "retry", "sending")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Metrics:
    """One registry per application, so tests and replicas never share counters by accident."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "socialboost_http_requests",
            "HTTP requests served",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "socialboost_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
        )
        self.deliveries = Gauge(
            "socialboost_deliveries", "Deliveries by status", ["status"], registry=self.registry
        )
        self.shares = Gauge(
            "socialboost_shares", "Shares by state", ["state"], registry=self.registry
        )
        self.clicks = Gauge(
            "socialboost_clicks", "Human clicks on tracked links", registry=self.registry
        )
        self.outbox_depth = Gauge(
            "socialboost_outbox_depth",
            "Outbox rows still to send (waiting or being sent)",
            ["platform", "workspace"],
            registry=self.registry,
        )
        self.send_rate = Gauge(
            "socialboost_outbox_send_rate",
            "Messages sent per second over the last minute, all replicas",
            ["platform", "workspace"],
            registry=self.registry,
        )
        self.loop_lag = LoopLag(self.registry)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count and time every request by its route pattern (never its raw path)."""
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            self.latency.labels(name).observe(time.perf_counter() - started)
            self.requests.labels(name, request.method, str(status)).inc()

    async def refresh_totals(self, db: Database) -> None:
        """Read deliveries, shares and clicks from the database (true across replicas)."""
        async with db.session() as session:
            for status, count in await session.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            ):
                self.deliveries.labels(status).set(count)
            intents = await session.scalar(select(func.count()).select_from(Share))
            confirmed = await session.scalar(
                select(func.count()).where(Share.confirmed_at.is_not(None))
            )
            clicks = await session.scalar(select(func.count()).select_from(Click))
            await self._refresh_outbox(session)
        self.shares.labels("intent").set(intents or 0)
        self.shares.labels("confirmed").set(confirmed or 0)
        self.clicks.set(clicks or 0)

    async def _refresh_outbox(self, session: AsyncSession) -> None:
        """Depth and send rate per platform and workspace, read from the outbox itself."""
        since = datetime.now(UTC) - RATE_WINDOW
        by_workspace = (
            select(
                Workspace.platform,
                Workspace.external_id,
                func.sum(case((Delivery.status.in_(_UNSENT), 1), else_=0)),
                func.sum(case((Delivery.sent_at >= since, 1), else_=0)),
            )
            .join(Person, Person.id == Delivery.person_id)
            .join(Workspace, Workspace.id == Person.workspace_id)
            .where(or_(Delivery.status.in_(_UNSENT), Delivery.sent_at >= since))
            .group_by(Workspace.platform, Workspace.external_id)
        )
        # Workspaces that emptied since the last scrape read 0 rather than their old value.
        for gauge in (self.outbox_depth, self.send_rate):
            gauge.clear()
        for platform, workspace, depth, recent in await session.execute(by_workspace):
            self.outbox_depth.labels(platform, workspace).set(depth or 0)
            self.send_rate.labels(platform, workspace).set(
                (recent or 0) / RATE_WINDOW.total_seconds()
            )

    def render(self) -> bytes:
        """The text exposition format."""
        self.loop_lag.publish()
        return generate_latest(self.registry)


# ---------------------------------------------------------------- event-loop lag


class LoopLag:
    """How late the event loop wakes a task that sleeps `interval`: the time nothing else
    (acks, redirects, sends, /healthz) could run. CPU work on the loop shows up here.

    `socialboost_event_loop_lag_seconds` is the histogram of every sample;
    `socialboost_event_loop_lag_max_seconds` the worst sample since the previous scrape.
    """

    BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

    def __init__(self, registry: CollectorRegistry, *, interval: float = 0.1) -> None:
        self.interval = interval
        self.samples = Histogram(
            "socialboost_event_loop_lag_seconds",
            "How late the event loop woke a sleeping task",
            buckets=self.BUCKETS,
            registry=registry,
        )
        self.worst_gauge = Gauge(
            "socialboost_event_loop_lag_max_seconds",
            "Worst event-loop lag since the previous scrape",
            registry=registry,
        )
        self.worst = 0.0  # since the previous publish()
        self._task: asyncio.Task[None] | None = None

    async def start(self, _: object = None) -> None:
        """Start sampling on the running loop (an aiohttp startup hook)."""
        if self._task is None:
            self._task = asyncio.create_task(self._sample(), name="event-loop-lag")

    async def stop(self, _: object = None) -> None:
        """Stop sampling (an aiohttp cleanup hook)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def observe(self, lag: float) -> None:
        """Record one sample."""
        self.samples.observe(lag)
        self.worst = max(self.worst, lag)

    def publish(self) -> None:
        """Put the worst lag since the last scrape in its gauge and start a new window."""
        self.worst_gauge.set(self.worst)
        self.worst = 0.0

    async def _sample(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asleep = loop.time()
            await asyncio.sleep(self.interval)
            self.observe(max(0.0, loop.time() - asleep - self.interval))
