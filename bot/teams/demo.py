"""The zero-account demo: Microsoft 365 Agents Playground (a local Teams) started next to the bot.

`make run` without Teams credentials starts it: the Playground's mocked tenant gets the demo
content on first start, its user may run every command, and the log says which address to open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from content_store.demo import seed_demo_content
from content_store.models import ContentItem
from content_store.people import get_or_create_person, get_or_create_workspace, set_roles
from domain.programme import Role
from handlers.context import Services

log = logging.getLogger(__name__)
PLAYGROUND_CLI = Path("node_modules/@microsoft/m365agentsplayground/cli.js")
DEFAULT_PORT = 56150
LOG_FILE = Path("var/m365agentsplayground.log")
_START_SECONDS = 60.0


@dataclass(frozen=True)
class DemoTenant:
    """The Playground's mocked tenant and its one signed-in user."""

    tenant_id: str
    user_id: str
    user_name: str


def playground_command(*, node: str, cli: Path, bot_url: str, port: int) -> list[str]:
    """The command line that starts the Playground against the bot, telemetry off."""
    return [node, str(cli), "-e", bot_url, "-c", "msteams", "--dt", "-p", str(port)]


def demo_tenant(config: dict[str, Any]) -> DemoTenant:
    """The tenant and user out of the Playground's /_internal/v1/config answer."""
    found = config["config"]
    user = found["currentUser"]
    return DemoTenant(
        tenant_id=str(found["tenantId"]),
        user_id=str(user.get("aadObjectId") or user["id"]),
        user_name=str(user.get("name") or user["id"]),
    )


async def prepare_demo(services: Services, tenant: DemoTenant, *, now: datetime) -> int:
    """Demo content on first start (an empty library) and every role for the demo user."""
    async with services.db.session() as session:
        workspace = await get_or_create_workspace(
            session, platform="teams", external_id=tenant.tenant_id
        )
        count = await session.scalar(
            select(func.count()).select_from(ContentItem).filter_by(workspace_id=workspace.id)
        )
        added = 0
        if not count:
            added = await seed_demo_content(session, workspace_id=workspace.id, now=now)
        person = await get_or_create_person(
            session, workspace_id=workspace.id, external_id=tenant.user_id
        )
        await set_roles(session, person_id=person.id, roles=(Role.ADMIN, Role.CONTENT))
    return added


async def port_in_use(port: int) -> bool:
    """Whether something on this machine already answers on `port` (the Playground would
    quietly move to another port, and nobody would know where)."""
    for host in ("127.0.0.1", "::1"):
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
        except (OSError, TimeoutError):
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return False


class PlaygroundDemo:
    """Starts and stops the Playground process with the web application."""

    def __init__(self, *, services: Services, bot_url: str, port: int, root: Path) -> None:
        self._services = services
        self._bot_url = bot_url
        self._port = port
        self._root = root
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, _: object = None) -> None:
        """Start the demo in the background: the Playground first calls the bot, which must
        be listening by then, and aiohttp binds only after its startup hooks."""
        self._task = asyncio.create_task(self._run_logged())

    async def ready(self) -> None:
        """Wait until the demo is up (or has given up, saying why in the log)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run_logged(self) -> None:
        try:
            await self.run()
        except (RuntimeError, OSError, aiohttp.ClientError) as error:
            log.error("Teams demo did not start: %s", error)

    async def run(self) -> None:
        """Start the Playground (if node and `npm ci` are there), prepare the tenant, say where."""
        node, cli = shutil.which("node"), self._root / PLAYGROUND_CLI
        if node is None or not cli.exists():
            log.warning("Teams demo skipped: needs Node.js and `npm ci` (%s not found)", cli)
            return
        if await port_in_use(self._port):
            raise RuntimeError(
                f"port {self._port} is already in use, so the Playground cannot start there; "
                f"free it, or choose another: make run PLAYGROUND_PORT={self._port + 1}"
            )
        command = playground_command(node=node, cli=cli, bot_url=self._bot_url, port=self._port)
        (self._root / LOG_FILE).parent.mkdir(parents=True, exist_ok=True)
        self._process = await asyncio.create_subprocess_exec(
            *command,
            cwd=self._root,
            env={
                **os.environ,
                "TEAMSAPPTESTER_BROWSER": "none",
                # Its own log, kept out of the source tree (var/ is git-ignored).
                "M365_AGENTS_PLAYGROUND_LOGFILE": str(self._root / LOG_FILE),
            },
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        tenant = demo_tenant(await self._config())
        added = await prepare_demo(self._services, tenant, now=self._services.clock.now())
        url = f"http://localhost:{self._port}"
        log.info(
            "Teams demo: %s is admin and content team; %d demo items added", tenant.user_name, added
        )
        # The one line a newcomer needs, last and on its own, so it does not scroll away.
        log.info("=" * 72)
        log.info("Open %s in your browser to try the bot in Teams (no account needed).", url)
        log.info("=" * 72)

    async def _config(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self._port}/_internal/v1/config"
        deadline = asyncio.get_running_loop().time() + _START_SECONDS
        async with aiohttp.ClientSession() as session:
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(url) as response:
                        if response.status == 200:
                            found: dict[str, Any] = await response.json()
                            return found
                stopped = self._process is None or self._process.returncode is not None
                if stopped or asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"the Playground did not answer at {url}")
                await asyncio.sleep(0.2)

    async def stop(self, _: object = None) -> None:
        """Stop the Playground process (and anything it started)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
