"""Prometheus metrics: request counts and latencies, plus programme totals read at scrape time."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

from content_store.database import Database
from content_store.models import Click, Delivery, Share

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
        self.shares.labels("intent").set(intents or 0)
        self.shares.labels("confirmed").set(confirmed or 0)
        self.clicks.set(clicks or 0)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
