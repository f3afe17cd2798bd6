"""`socialboost serve --workers N`: processes sharing one port, replaced when they die."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import aiohttp
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.worker_pool import WorkersRefused, check_workers
from content_store.database import Database
from tests.bot.slack.fake_slack import FakeSlack
from tests.scheduler.server_process import ServerProcess, until, worker_pids

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1/x"


@pytest.mark.parametrize(
    ("count", "url", "playground", "named"),
    [
        (0, POSTGRES, False, "at least 1"),
        (2, "sqlite+aiosqlite:///data/x.db", False, "PostgreSQL"),
        (2, POSTGRES, True, "--playground"),
    ],
)
def test_worker_counts_the_settings_cannot_support_are_refused(
    count: int, url: str, playground: bool, named: str
) -> None:
    with pytest.raises(WorkersRefused, match=named):
        check_workers(count=count, database_url=url, playground=playground)


def test_one_worker_suits_any_database_and_several_suit_postgresql() -> None:
    check_workers(count=1, database_url="sqlite+aiosqlite:///x.db", playground=True)
    check_workers(count=4, database_url=POSTGRES, playground=False)


def test_serve_refuses_several_workers_on_sqlite_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    result = CliRunner().invoke(app, ["serve", "--workers", "3"])
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output
    assert not (tmp_path / "x.db").exists()


def _listening(pid: int, port: int) -> bool:
    """True if process `pid` holds a socket listening on `port` (from /proc, no tools)."""
    inodes = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            if local_port == port and state == "0A" and inode in inodes:
                return True
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_workers_share_the_port_and_one_that_dies_is_replaced(
    db: Database, tmp_path: Path
) -> None:
    if not db.is_postgresql:
        pytest.skip("several workers need PostgreSQL")
    async with FakeSlack(team_id="T1") as slack:
        server = ServerProcess(
            database_url=db.url, slack_url=slack.base_url, log=tmp_path / "workers.log"
        )
        await server.start("--workers", "2")
        assert server.process is not None
        supervisor = server.process.pid
        try:
            await until(lambda: len(worker_pids(supervisor)) == 2, what="two workers")
            first = worker_pids(supervisor)
            await until(
                lambda: all(_listening(pid, server.port) for pid in first), what="both listening"
            )
            await until(lambda: "now runs the scheduler" in server.logs(), what="a leader")
            victim = min(first)
            os.kill(victim, signal.SIGKILL)
            await until(
                lambda: len(worker_pids(supervisor) - first) == 1, what="a replacement worker"
            )
            (replacement,) = worker_pids(supervisor) - first
            await until(lambda: _listening(replacement, server.port), what="it to listen")
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{server.url}/healthz") as response,
            ):
                assert response.status == 200
            workers = worker_pids(supervisor)
        finally:
            await server.stop()
    assert server.process.returncode == 0, server.logs()
    assert not any(_alive(pid) for pid in workers)
    assert "worker 0 exited" in server.logs() or "worker 1 exited" in server.logs()
