"""Issue 14's defects of `socialboost serve --playground` (what `make run` starts), as a process.

Each test starts the real command on free ports with a fresh SQLite database, reads its log
and talks to the Playground it started; each is marked xfail(strict=True) with the item's
number until its fix.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.teams.demo import PLAYGROUND_CLI
from messages import translate
from tests.bot.teams.cards import ROOT, node_tools_or_skip
from tests.bot.teams.fake_connector import free_port
from tests.bot.teams.playground import Playground, Shown
from tests.e2e.playground_chat import elements, submitted

# Under pytest-xdist every test that starts Microsoft's Playground (a Node process) or Chromium
# runs on one worker, one at a time: they would compete for the cores their timeouts assume.
pytestmark = pytest.mark.xdist_group("playground")

SOCIALBOOST = Path(sys.executable).parent / "socialboost"
# Settings a developer's shell may hold that would change what a newcomer sees.
_UNSET = ("PUBLIC_BASE_URL", "DATABASE_URL", "HOST", "PORT", "LOG_LEVEL", "LOG_FORMAT")


class DemoServer:
    """`socialboost serve --playground` as `make run` starts it, on ports of its own."""

    def __init__(self, workdir: Path, *, port: int, playground_port: int) -> None:
        self.port = port
        self.playground_port = playground_port
        self.log = workdir / "serve.log"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in _UNSET and not key.startswith(("TEAMS_", "SLACK_"))
        }
        # Only the port is set, as the newcomer did; the database is a fresh one.
        self.env |= {"PORT": str(port), "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/sb.db"}
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        node_tools_or_skip(ROOT / PLAYGROUND_CLI)
        command = [str(SOCIALBOOST), "serve", "--playground"]
        command += ["--playground-port", str(self.playground_port)]
        with self.log.open("wb") as out:
            self._process = subprocess.Popen(  # noqa: S603 - our own command
                command,
                cwd=ROOT,  # where `make run` runs it: node_modules/ is found there
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    async def line(self, pattern: str | Callable[[str], bool], *, seconds: float) -> str | None:
        """The first log line matching `pattern`, once written; None if none in time."""
        found = re.compile(pattern).search if isinstance(pattern, str) else pattern
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            match = next((line for line in self.lines() if found(line)), None)
            if match is not None:
                return match
            if self._process is not None and self._process.poll() is not None:
                return None
            await asyncio.sleep(0.2)
        return None

    def stop(self) -> None:
        """SIGTERM, as Ctrl-C would; then end a Playground it left behind, by its id."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for pid in _playgrounds_of(self.port):
            os.kill(pid, signal.SIGKILL)


def _playgrounds_of(bot_port: int) -> list[int]:
    """Playground processes pointed at the bot on `bot_port` (only ours use that port)."""
    needle = f"127.0.0.1:{bot_port}/api/messages".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in command and b"m365agentsplayground" in command:
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
async def first_start(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DemoServer]:
    """A newcomer's first `make run`, with PORT set to another port and nothing else."""
    server = DemoServer(
        tmp_path_factory.mktemp("first-start"), port=free_port(), playground_port=free_port()
    )
    server.start()
    try:
        # The line naming the Playground's address: the demo is ready.
        ready = await server.line(rf"localhost:{server.playground_port}\b", seconds=120)
        assert ready is not None, "\n".join(server.lines()[-40:])
        yield server
    finally:
        server.stop()


async def test_item03_tracked_links_point_at_the_port_served(first_start: DemoServer) -> None:
    base = f"http://127.0.0.1:{first_start.playground_port}"
    async with aiohttp.ClientSession() as http:
        playground = Playground(base, http)
        await playground.start()
        try:
            opener = await _share_on_linkedin(playground)
        finally:
            await playground.stop()
    tracked = parse_qs(urlsplit(opener).query)["url"][0]
    assert tracked.startswith(f"http://127.0.0.1:{first_start.port}/r/"), tracked


async def _share_on_linkedin(playground: Playground) -> str:
    """Join, ask for picks, share the first on LinkedIn: the URL "Open LinkedIn" opens."""
    await playground.say(playground.personal_chat, "in")
    await playground.wait(lambda shown: _with(shown, translate("prefs.networks", "en")))
    mark = playground.mark()
    await playground.say(playground.personal_chat, "picks")
    share = translate("picks.share_on", "en", network="LinkedIn")
    pick = await playground.wait(lambda shown: _with(shown[mark:], share))
    # The caption as the person makes it their own (a placeholder left in is refused).
    caption = next(
        str(e["id"]) for e in elements(pick, "Input.Text") if str(e["id"]).startswith("caption")
    )
    typed = {caption: "Proud of this launch, in my own words."}
    await playground.press(pick, submitted(pick, share, typed, last=False))
    opened = translate("share.open", "en", network="LinkedIn")
    ready = await playground.wait(
        lambda shown: _with([s for s in shown if s.message_id == pick.message_id], opened)
    )
    (link,) = [e for e in elements(ready, "Action.OpenUrl") if e["title"] == opened]
    return str(link["url"])


def _with(shown: list[Shown], needle: str) -> Shown | None:
    return next((s for s in reversed(shown) if needle in s.dump), None)


async def test_item11_the_first_start_says_one_clear_line_open_this_url(
    first_start: DemoServer,
) -> None:
    lines = first_start.lines()
    url = f"localhost:{first_start.playground_port}"
    listening = _index(lines, "serving on")
    migrated = max(i for i, line in enumerate(lines) if "Running upgrade" in line)
    assert listening > migrated, "'listening on' is said before the database is ready"
    (said,) = [line for line in lines if url in line]
    assert " WARNING " not in said, said
    assert not [line for line in lines if line.strip() == "Connections:"], "the SDK's dump"
    # Per-job scheduler lines every minute push the address out of sight.
    assert not [line for line in lines if "apscheduler" in line and " INFO " in line]


def _index(lines: list[str], needle: str) -> int:
    return next(i for i, line in enumerate(lines) if needle in line)


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        yield int(squatter.getsockname()[1])


async def test_item09_a_busy_playground_port_is_reported_up_front(
    busy_port: int, tmp_path: Path
) -> None:
    server = DemoServer(tmp_path, port=free_port(), playground_port=busy_port)
    server.start()
    try:
        assert await server.line("serving on", seconds=120), server.lines()[-20:]
        # Up front: the Playground tells its own port within seconds of starting.
        verdict = await server.line(lambda line: _about_port(line, server), seconds=30)
        assert verdict is not None, "nothing said about the Playground's port within 30 s"
        moved = _address(verdict, server)
        if moved is not None and moved != busy_port:
            await _answers(moved)
        else:
            assert str(busy_port) in verdict and re.search(r"\b(?:in use|busy)\b", verdict), verdict
    finally:
        server.stop()


def _address(line: str, server: DemoServer) -> int | None:
    """The port of a local address in `line` other than the bot's own."""
    for found in re.finditer(r"(?:localhost|127\.0\.0\.1):(\d+)", line):
        if int(found.group(1)) != server.port:
            return int(found.group(1))
    return None


def _about_port(line: str, server: DemoServer) -> bool:
    return _address(line, server) is not None or bool(re.search(r"\b(?:in use|busy)\b", line))


async def _answers(port: int) -> None:
    """The Playground really is at `port`."""
    url = f"http://127.0.0.1:{port}/_internal/v1/config"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200, url
