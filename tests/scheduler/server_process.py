"""`socialboost serve` as a real process pointed at a fake Slack, for crash and replica tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

BIN = Path(sys.executable).parent / "socialboost"


def worker_pids(supervisor: int) -> set[int]:
    """The worker processes of `serve --workers` (its spawned children; not multiprocessing's
    resource tracker, a bystander), read from /proc."""
    found = set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if parent == supervisor and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """One replica: started, checked for health, and stopped or killed like a real one."""

    def __init__(self, *, database_url: str, slack_url: str, log: Path, **settings: str) -> None:
        self.port = free_port()
        self.log = log
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SLACK_"))
        }
        self.env.update(
            DATABASE_URL=database_url,
            PORT=str(self.port),
            PUBLIC_BASE_URL=f"http://127.0.0.1:{self.port}",
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="test-signing-secret",
            SLACK_API_URL=slack_url,
            LEADER_RETRY_SECONDS="1",
            SCHEDULE_SYNC_SECONDS="1",
            DELIVERY_POLL_SECONDS="0.2",
            DELIVERY_LEASE_SECONDS="2",
            DELIVERY_RETRY_SECONDS="1",
            **settings,
        )
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        """Where the replica listens."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self, *arguments: str) -> ServerProcess:
        """Start the replica (`serve` with `arguments`) and wait until /healthz answers."""
        output = self.log.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            str(BIN), "serve", *arguments, env=self.env, stdout=output, stderr=output
        )
        output.close()
        await self._healthy()
        return self

    async def _healthy(self, patience: float = 60) -> None:
        deadline = time.monotonic() + patience
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.process is not None and self.process.returncode is None, self.logs()
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"replica did not come up:\n{self.logs()}")

    async def kill(self) -> None:
        """kill -9: no cleanup, no goodbye, exactly like a crashed host."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        """A graceful stop (SIGTERM), if still running."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=20)
            except TimeoutError:
                await self.kill()

    def logs(self) -> str:
        """Everything the replica logged."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def leads(self) -> bool:
        """True if the replica's latest word on leadership is that it runs the scheduler."""
        text = self.logs()
        return text.rfind("now runs the scheduler") > text.rfind("no longer runs the scheduler")


async def until(condition: Callable[[], bool], *, patience: float = 60, what: str = "") -> None:
    """Wait (polling) until `condition` holds; fail naming `what` after `patience` seconds."""
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
