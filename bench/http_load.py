"""Benchmark: share clicks over HTTP against `socialboost serve`, next to apps that only ack.

For Slack, each request is a signed `block_actions` share click; Bolt answers the HTTP request
at `ack()` and does the work after it, so a click counts as done when its answer reaches the
`response_url` (a sink in this process). For Teams, each is a card's Action.Submit share as a
message activity to /api/messages; the turn (the card updated through the connector, here the
same sink) finishes before the HTTP answer. Two baselines per platform (`bench/bare_apps.py`):
one only acks; the other acks and sends, unchanged for every request, the last answer ours
sent (Slack: the share panel posted to the response URL; Teams: the card update) — what any
app answering a press in place must spend. Each target runs in its own process, started the
same way; per target: a closed loop of `--clients` clients for `--seconds`, then an open loop
at `--rate` requests a second.

    .venv/bin/python -m bench.http_load --database both --platform both

The `cpu ms` of each of ours is divided by the bare ack's (same platform, phase and run) in the
`ratio` column, and by the bare app's that also answers in the `vs answer` column.
`--workers N` > 1 measures Slack only: `serve`'s worker processes accept only the default
Playground port's service URL in anonymous Teams mode, not the sink's.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bench.workload import ROOT, database_url, fresh_database, seed_people
from content_store.models import ContentItem
from domain.programme import ContentStatus
from tests.scheduler.server_process import worker_pids

SECRET = "bench-signing-secret"  # noqa: S105 - a loopback benchmark's made-up secret
TENANT = "3c2b1a00-0000-4000-8000-00000000bench"
NETWORKS = ("linkedin", "x", "bluesky", "facebook")
Op = Callable[[aiohttp.ClientSession], Awaitable[bool]]


class Sink:
    """Slack's Web API and response URLs and the Teams connector, answering at once and noting
    arrivals. It knows every person (Slack's users.info answers), as Slack would."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[None]] = {}
        # The last answer body per platform, for the baseline that sends the same one.
        self.answers: dict[str, bytes] = {}
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.port = 0

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.add_routes(
            [
                web.post("/respond/{key}", self._responded),
                web.route("*", "/api/{method}", self._slack_api),
                web.route("*", "/_connector/{tail:.*}", self._connector),
            ]
        )
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self.port = port

    def expect(self, key: str) -> asyncio.Future[None]:
        """A future that resolves when the answer for `key` arrives."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        return future

    async def _responded(self, request: web.Request) -> web.Response:
        self.answers["slack"] = await request.read()
        future = self.waiting.pop(request.match_info["key"], None)
        if future is not None and not future.done():
            future.set_result(None)
        return web.json_response({"ok": True})

    async def _slack_api(self, request: web.Request) -> web.Response:
        form = await request.post()
        method = request.match_info["method"]
        if method == "users.info":  # slack_sdk asks with GET
            user = str(request.query.get("user") or form.get("user", ""))
            profile = {"real_name": user, "display_name": user, "email": f"{user}@example.com"}
            return web.json_response(
                {
                    "ok": True,
                    "user": {
                        "id": user,
                        "name": user,
                        "locale": "en-US",
                        "tz": "Europe/Amsterdam",
                        "profile": profile,
                    },
                }
            )
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "team_id": "T-LOAD", "user_id": "UBOT", "bot_id": "BBOT"}
            )
        return web.json_response({"ok": True})

    async def _connector(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.method == "PUT":  # a card update
            self.answers["teams"] = body
        if request.method == "GET":  # a member lookup
            return web.json_response({"id": "29:x", "aadObjectId": "x", "email": "x@example.com"})
        return web.json_response({"id": f"a-{random.randrange(10**9)}"})  # noqa: S311

    async def stop(self) -> None:
        """Stop listening."""
        if self.runner is not None:
            await self.runner.cleanup()


@dataclass
class Target:
    """One server process: ours or a bare baseline."""

    label: str
    command: list[str]
    env: dict[str, str]
    port: int
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """Where it listens."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self, log: Path) -> None:
        """Start it and wait for /healthz."""
        with log.open("ab") as output:
            self.process = await asyncio.create_subprocess_exec(
                *self.command, env=self.env, stdout=output, stderr=output, cwd=ROOT
            )
        async with aiohttp.ClientSession() as session:
            for _ in range(600):
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.label} did not start; see {log}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the process and its workers (user + system)."""
        assert self.process is not None
        return sum(_cpu_seconds(pid) for pid in (self.process.pid, *worker_pids(self.process.pid)))

    def peak_memory_mib(self) -> float:
        """Peak resident memory (VmHWM) of the process and, with workers, of its children."""
        assert self.process is not None
        return sum(_peak_mib(pid) for pid in (self.process.pid, *worker_pids(self.process.pid)))

    async def stop(self) -> None:
        """Terminate and wait."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


def _peak_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(row for row in status.splitlines() if row.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Row:
    """What one phase against one target measured."""

    label: str
    phase: str
    done: int
    failed: int
    seconds: float
    latencies: list[float] = field(repr=False)
    memory: float = 0.0
    cpu: float = 0.0  # server CPU seconds during the phase
    platform: str = ""
    kind: str = ""  # the database of the run it belongs to
    bare: bool = False
    answers: bool = False  # a baseline that also sends the answer
    ratio: float = float("nan")  # cpu ms ÷ the bare ack's, same platform and phase, same run
    ratio_answer: float = float("nan")  # ÷ the bare app's that also answers

    @property
    def throughput(self) -> float:
        """Completed requests a second."""
        return self.done / self.seconds

    def percentile(self, share: float) -> float:
        """Latency at `share` (0..1) in milliseconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    @property
    def cpu_ms(self) -> float:
        """Server CPU milliseconds per completed request."""
        return 1000 * self.cpu / self.done if self.done else float("nan")

    def line(self) -> str:
        """One row of the printed table."""
        return (
            f"{self.label:<40} {self.phase:<12} {self.throughput:>8.1f} "
            f"{self.percentile(0.5):>8.1f} {self.percentile(0.99):>8.1f} {self.failed:>6} "
            f"{self.cpu_ms:>7.2f} {self.ratio:>6.2f} {self.ratio_answer:>9.2f} {self.memory:>7.0f}"
        )


# ------------------------------------------------------------------ the requests


def _signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


class Clicks:
    """Random share clicks by seeded people on active items."""

    def __init__(self, *, people: list[str], items: list[int], seed: int = 7) -> None:
        self.people, self.items = people, items
        self.random = random.Random(seed)  # noqa: S311 - a workload, not a secret
        self.counter = itertools.count()

    def next(self) -> tuple[int, str, int, str]:
        """A request number, person, item and network."""
        return (
            next(self.counter),
            self.random.choice(self.people),
            self.random.choice(self.items),
            self.random.choice(NETWORKS),
        )


def slack_click(target: Target, sink: Sink, clicks: Clicks, *, waits: bool) -> Op:
    """One signed share click; with `waits`, done when the answer reaches the response URL."""

    async def op(session: aiohttp.ClientSession) -> bool:
        number, person, item, network = clicks.next()
        key = f"r{number}"
        payload = {
            "type": "block_actions",
            "user": {"id": person},
            "team": {"id": "T-LOAD"},
            "api_app_id": "A1",
            "trigger_id": f"t{number}",
            "response_url": f"{sink.url}/respond/{key}",
            "container": {"type": "message", "channel_id": "D1", "message_ts": "1.1"},
            "channel": {"id": "D1"},
            "message": {"ts": "1.1", "text": "picks", "blocks": []},
            "state": {
                "values": {
                    f"caption:{item}": {
                        "caption": {"type": "plain_text_input", "value": f"My words {number}"}
                    }
                }
            },
            "actions": [
                {
                    "action_id": f"share.{network}:{item}",
                    "block_id": f"card:{item}",
                    "value": f"{item}:dm",
                    "type": "button",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        answered = sink.expect(key) if waits else None
        async with session.post(
            f"{target.url}/slack/events", data=body, headers=_signed(body)
        ) as response:
            await response.read()
            if response.status != 200:
                return False
        if answered is not None:
            try:
                await asyncio.wait_for(answered, timeout=10)
            except TimeoutError:
                sink.waiting.pop(key, None)
                return False
        return True

    return op


def teams_click(target: Target, sink: Sink, clicks: Clicks) -> Op:
    """One Action.Submit share from a picks card; the turn ends with the card updated."""

    async def op(session: aiohttp.ClientSession) -> bool:
        number, person, item, network = clicks.next()
        activity = {
            "type": "message",
            "id": f"m-{number}",
            "replyToId": f"card-{number}",
            "channelId": "msteams",
            # Anonymous local mode serves only the Playground's service URL: the sink stands in.
            "serviceUrl": f"{sink.url}/_connector",
            "from": {"id": f"29:{person}", "name": "Bench", "aadObjectId": person},
            "recipient": {"id": "28:bot", "name": "Social Boost"},
            "conversation": {
                "id": f"a:{person}",
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "locale": "en-US",
            "value": {
                "action": f"share.{network}",
                "value": f"{item}:dm",
                f"caption:{item}": f"My words {number}",
            },
        }
        async with session.post(f"{target.url}/api/messages", json=activity) as response:
            await response.read()
            return response.status in (200, 201, 202)

    return op


# ------------------------------------------------------------------ the load


async def closed_loop(op: Op, *, clients: int, seconds: float) -> tuple[int, int, list[float]]:
    """`clients` clients, each sending its next request when the last is done."""
    latencies: list[float] = []
    failed = 0
    deadline = time.perf_counter() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal failed
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            if await op(session):
                latencies.append(time.perf_counter() - started)
            else:
                failed += 1

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return len(latencies), failed, latencies


async def open_loop(op: Op, *, rate: float, seconds: float) -> tuple[int, int, list[float]]:
    """Requests at a fixed rate whatever the answers do; latency counts from the planned start,
    so a stalled server is not hidden by requests that were never sent."""
    latencies: list[float] = []
    failed = 0
    begin = time.perf_counter()

    async def one(session: aiohttp.ClientSession, planned: float) -> None:
        nonlocal failed
        if await op(session):
            latencies.append(time.perf_counter() - planned)
        else:
            failed += 1

    tasks = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for index in range(int(rate * seconds)):
            planned = begin + index / rate
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            tasks.append(asyncio.create_task(one(session, planned)))
        await asyncio.gather(*tasks)
    return len(latencies), failed, latencies


async def measure(target: Target, op: Op, arguments: argparse.Namespace) -> list[Row]:
    """Warm up, then the closed and the open loop against one running target."""
    await closed_loop(op, clients=4, seconds=2)
    rows = []
    phases: list[tuple[str, Callable[[], Awaitable[tuple[int, int, list[float]]]]]] = [
        (
            f"{arguments.clients} clients",
            lambda: closed_loop(op, clients=arguments.clients, seconds=arguments.seconds),
        ),
        (
            f"{arguments.rate:g}/s",
            lambda: open_loop(op, rate=arguments.rate, seconds=arguments.seconds),
        ),
    ]
    for phase, run in phases:
        started, cpu = time.perf_counter(), target.cpu_seconds()
        done, failed, latencies = await run()
        elapsed = time.perf_counter() - started
        row = Row(target.label, phase, done, failed, elapsed, latencies)
        row.cpu = target.cpu_seconds() - cpu
        rows.append(row)
    for row in rows:
        row.memory = target.peak_memory_mib()
    return rows


# ------------------------------------------------------------------ the targets


def _port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(**settings: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SLACK_", "TEAMS_"))
    }
    env.update(settings)
    return env


def ours(kind: str, url: str, sink: Sink, *, workers: int = 1) -> Target:
    """`socialboost serve` on `url`, Slack over HTTP and Teams in anonymous local mode (whose
    only service URL is the Playground's: the sink listens on `connector_port` in its stead)."""
    port = _port()
    env = _env(
        DATABASE_URL=url,
        PORT=str(port),
        PUBLIC_BASE_URL="https://boost.example.org",
        SLACK_BOT_TOKEN="xoxb-test",  # noqa: S106 - the fake Slack's
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=f"{sink.url}/api/",
    )
    command = [
        str(Path(sys.executable).parent / "socialboost"),
        "serve",
        "--playground-port",
        str(sink.port),
    ]
    if profile := os.environ.get("BENCH_PROFILE"):  # cProfile's statistics of the server
        command = [sys.executable, "-m", "cProfile", "-o", profile, *command]
    elif os.environ.get("BENCH_PROFILE_CPU"):  # the same, charged in CPU time
        command = [sys.executable, "-m", "bench.cpu_profile", *command[1:]]
    label = f"{kind}: socialboost serve"
    if workers > 1:
        command += ["--workers", str(workers)]
        label += f" x{workers}"
    return Target(label, command, env, port)


def bare(platform: str, sink: Sink, *, answer: Path | None = None) -> Target:
    """The baseline that only acks, or (with `answer`) acks and sends that body as the answer."""
    port = _port()
    env = _env(SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=f"{sink.url}/api/")
    command = [
        sys.executable,
        "-m",
        "bench.bare_apps",
        platform,
        str(port),
        str(sink.port),
    ]
    label = "bare Bolt app (ack only)" if platform == "slack" else "bare Agents SDK app"
    if answer is not None:
        command.append(str(answer))
        label = "bare Bolt app + same answer" if platform == "slack" else "bare SDK + same update"
    return Target(label, command, env, port)


async def _seed(kind: str, directory: Path, *, people: int) -> dict[str, Clicks]:
    db = await fresh_database(kind, directory)
    try:
        _, slack_people = await seed_people(db, workspace="T-LOAD", people=people, profiles=True)
        _, teams_people = await seed_people(
            db, workspace=TENANT, people=people, platform="teams", profiles=True
        )
        async with db.session() as session:
            query = select(ContentItem.id, ContentItem.workspace_id).where(
                ContentItem.status == ContentStatus.ACTIVE
            )
            rows = (await session.execute(query)).all()
    finally:
        await db.dispose()
    by_workspace: dict[int, list[int]] = {}
    for item_id, workspace_id in rows:
        by_workspace.setdefault(workspace_id, []).append(item_id)
    slack_items, teams_items = (by_workspace[key] for key in sorted(by_workspace))
    return {
        "slack": Clicks(people=slack_people, items=slack_items),
        "teams": Clicks(people=teams_people, items=teams_items),
    }


async def run(kind: str, arguments: argparse.Namespace, log: Path) -> list[Row]:
    """Ours on one database for each platform, then the bare apps."""
    sink = Sink()
    await sink.start()
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory() as directory:
            clicks = await _seed(kind, Path(directory), people=arguments.people)
            workers = arguments.workers if kind == "postgresql" else 1
            target = ours(
                kind,
                database_url(kind, Path(directory)),
                sink,
                workers=workers,
            )
            await target.start(log)
            try:
                for platform in arguments.platforms:
                    op = (
                        slack_click(target, sink, clicks["slack"], waits=True)
                        if platform == "slack"
                        else teams_click(target, sink, clicks["teams"])
                    )
                    for row in await measure(target, op, arguments):
                        row.label, row.platform = f"{row.label} ({platform})", platform
                        rows.append(row)
            finally:
                await target.stop()
            # The baselines need no database, but run beside each one: CPU drifts in the hour.
            rows += await _bare_rows(arguments, sink, clicks, log, Path(directory))
        for row in rows:
            row.kind = kind
            if row.bare:
                row.label = f"{kind}: {row.label}"
    finally:
        await sink.stop()
    return rows


async def _bare_rows(
    arguments: argparse.Namespace,
    sink: Sink,
    clicks: dict[str, Clicks],
    log: Path,
    directory: Path,
) -> list[Row]:
    rows: list[Row] = []
    for platform in arguments.platforms:
        answer = directory / f"{platform}-answer.json"
        answer.write_bytes(sink.answers[platform])
        for sends in (False, True):
            target = bare(platform, sink, answer=answer if sends else None)
            await target.start(log)
            try:
                op = (
                    slack_click(target, sink, clicks["slack"], waits=sends)
                    if platform == "slack"
                    else teams_click(target, sink, clicks["teams"])
                )
                for row in await measure(target, op, arguments):
                    row.platform, row.bare, row.answers = platform, True, sends
                    rows.append(row)
            finally:
                await target.stop()
    return rows


def set_ratios(rows: list[Row]) -> None:
    """Each row's CPU per request over each baseline's for the same platform and phase."""
    floors = {
        (row.kind, row.platform, row.phase, row.answers): row.cpu_ms for row in rows if row.bare
    }
    for row in rows:
        key = (row.kind, row.platform, row.phase)
        if floor := floors.get((*key, False)):
            row.ratio = row.cpu_ms / floor
        if floor := floors.get((*key, True)):
            row.ratio_answer = row.cpu_ms / floor


def main() -> None:
    """Parse arguments, run, print the table and a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--platform", choices=("slack", "teams", "both"), default="both")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests a second")
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes on PostgreSQL (serve --workers)"
    )
    arguments = parser.parse_args()
    arguments.platforms = (
        ["slack", "teams"] if arguments.platform == "both" else [arguments.platform]
    )
    kinds = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    log = Path(tempfile.gettempdir()) / "socialboost-http-load.log"
    rows: list[Row] = []
    for kind in kinds:
        rows += asyncio.run(run(kind, arguments, log))
    set_ratios(rows)
    print(
        f"{'target':<40} {'phase':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'failed':>6} {'cpu ms':>7} {'ratio':>6} {'vs answer':>9} {'MiB':>7}"
    )
    for row in rows:
        print(row.line())
    summary = {
        f"{r.label} {r.phase}": [
            round(r.throughput, 1),
            round(r.percentile(0.99), 1),
            round(r.cpu_ms, 2),
            round(r.ratio, 2),
            round(r.ratio_answer, 2),
        ]
        for r in rows
    }
    print(json.dumps(summary))
    print(f"server logs: {log}")


if __name__ == "__main__":
    main()
