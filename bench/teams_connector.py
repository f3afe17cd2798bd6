"""A local Bot Framework connector for benchmarks: a rate per tenant, latency, counts.

Runs in its own process (`FakeConnectorProcess`), so its CPU is not the measured process's.
Beyond `rate` requests a second per tenant (one second's burst) it answers 429 with
Retry-After, as Teams does; every answer comes `latency` seconds after the request.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import aiohttp
from aiohttp import web

from bench.workload import ROOT


class RateLimitedConnector:
    """POST .../activities answers an id; GET /stats the counts so far."""

    def __init__(self, *, rate: float, latency: float) -> None:
        self.rate = rate
        self.latency = latency
        self.buckets: dict[str, tuple[float, float]] = {}
        self.posts: Counter[str] = Counter()  # activities per conversation
        self.throttled = 0
        self.next_id = 0

    def app(self) -> web.Application:
        """The routes the TeamsMessenger calls."""
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self.post)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self.post)
        app.router.add_get("/stats", self.stats)
        return app

    async def post(self, request: web.Request) -> web.Response:
        """Send an activity, or refuse it beyond the tenant's rate."""
        body: dict[str, Any] = await request.json()
        tenant = str((body.get("conversation") or {}).get("tenantId") or "-")
        await asyncio.sleep(self.latency)
        wait = self._take(tenant)
        if wait is not None:
            self.throttled += 1
            error = {"error": {"code": "Throttled", "message": "slow down"}}
            return web.json_response(error, status=429, headers={"Retry-After": str(wait)})
        self.posts[request.match_info["conversation"]] += 1
        self.next_id += 1
        return web.json_response({"id": f"act-{self.next_id}"}, status=201)

    async def stats(self, _: web.Request) -> web.Response:
        """Activities posted, conversations reached, 429 answers."""
        return web.json_response(
            {
                "posted": sum(self.posts.values()),
                "recipients": len(self.posts),
                "throttled": self.throttled,
            }
        )

    def _take(self, tenant: str) -> int | None:
        if self.rate <= 0:
            return None
        capacity = max(1.0, self.rate)
        now = time.monotonic()
        tokens, last = self.buckets.get(tenant, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self.buckets[tenant] = (tokens - 1.0, now)
            return None
        self.buckets[tenant] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))


async def _serve(rate: float, latency: float) -> None:
    runner = web.AppRunner(RateLimitedConnector(rate=rate, latency=latency).app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"http://127.0.0.1:{port}/", flush=True)
    await asyncio.Event().wait()


class FakeConnectorProcess:
    """The connector in a child process; `service_url` goes into the stored references."""

    def __init__(self, *, rate: float, latency: float) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.teams_connector", str(rate), str(latency)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        self.service_url = self.process.stdout.readline().strip()

    async def stats(self) -> dict[str, int]:
        """Activities posted, conversations reached and 429 answers so far."""
        url = f"{self.service_url}stats"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return dict(await response.json())

    def stop(self) -> None:
        """End the child process."""
        self.process.terminate()
        self.process.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(_serve(float(sys.argv[1]), float(sys.argv[2])))
