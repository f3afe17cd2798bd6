"""The command line, run as a newcomer would: a real process on a fresh SQLite file."""

from __future__ import annotations

import asyncio
import gc
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from content_store.database import Database
from content_store.demo import seed_demo_content
from content_store.models import Person
from content_store.people import get_or_create_workspace
from domain.programme import ProgrammeStatus

BIN = Path(sys.executable).parent / "socialboost"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "OPENAI_"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", **extra)
    return env


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script with fixed arguments
        [str(BIN), *args],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_seed_list_export_and_retire(tmp_path: Path) -> None:
    assert "Added 6 demo items" in _run(tmp_path, "seed-demo").stderr
    assert "Added 0 demo items" in _run(tmp_path, "seed-demo").stderr
    listing = _run(tmp_path, "content", "list").stdout.splitlines()
    assert len(listing) == 6 and all("\tactive\t" in line for line in listing)
    exported = json.loads(_run(tmp_path, "export", "content", "--format", "json").stdout)
    assert {row["title"] for row in exported} >= {"Our first sustainability report"}
    first_id = listing[0].split("\t")[0]
    assert _run(tmp_path, "content", "retire", first_id).returncode == 0
    again = _run(tmp_path, "content", "retire", first_id)
    assert again.returncode == 2 and "is already retired" in again.stderr


def test_people_import_refuses_a_bad_file_and_accepts_a_good_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("email,name,manager_email,team,roles\nnope,X,,T,\n", encoding="utf-8")
    result = _run(tmp_path, "people", "import", str(bad))
    assert result.returncode == 2 and "Line 2: 'nope'" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text(
        "email,name,manager_email,team,roles\nm@example.com,M,,T,manager\na@example.com,A,m@example.com,T,\n",
        encoding="utf-8",
    )
    assert "Imported 2 people" in _run(tmp_path, "people", "import", str(good)).stderr
    people = json.loads(_run(tmp_path, "export", "people", "--format", "json").stdout)
    assert {p["email"] for p in people} == {"m@example.com", "a@example.com"}


def test_statistics_export_as_json(tmp_path: Path) -> None:
    assert _run(tmp_path, "seed-demo").returncode == 0
    items = json.loads(_run(tmp_path, "export", "items", "--format", "json").stdout)
    stages = json.loads(_run(tmp_path, "export", "funnel", "--format", "json").stdout)
    assert len(items) == 6 and {"sent", "opened", "share_intents", "clicks"} <= set(items[0])
    assert [stage["stage"] for stage in stages] == ["invited", "joined", "shared_once", "steady"]


def test_bad_export_kind_is_refused(tmp_path: Path) -> None:
    result = _run(tmp_path, "export", "passwords")
    assert result.returncode == 2 and "Unknown export 'passwords'" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
        return response.status, json.loads(response.read())


def test_serve_answers_healthz_on_a_fresh_sqlite_database(tmp_path: Path) -> None:
    port = _free_port()
    env = _env(tmp_path, PORT=str(port), LOG_FORMAT="json")
    env.pop("DATABASE_URL")  # the embedded default: ./var/socialboost.db under the working dir
    process = subprocess.Popen(  # noqa: S603
        [str(BIN), "serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _get(f"http://127.0.0.1:{port}/healthz") == (
                    200,
                    {"status": "ok", "database": "ok"},
                )
                break
            except (OSError, ConnectionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("server did not come up")
                time.sleep(0.2)
        assert (tmp_path / "var" / "socialboost.db").exists()
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    messages = [line["message"] for line in lines]
    ready = next(i for i, m in enumerate(messages) if m.startswith("database ready"))
    serving = next(i for i, m in enumerate(messages) if m.startswith("Social Boost serving on"))
    assert ready < serving  # (issue 14 item 11) it said "listening" before migrating
    # The SDK's multi-line connection dump and per-tick scheduler lines stay out of the way.
    assert not any("Connections" in line["message"] for line in lines)
    assert not any(line["logger"].startswith("apscheduler") for line in lines)


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'<html><head><meta property="og:title" content="CLI page"></head></html>'
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def test_content_add_fetches_the_page_and_refuses_private_addresses(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/post?utm_source=mail"
    try:
        refused = _run(tmp_path, "content", "add", url)
        assert refused.returncode == 2 and "private network address" in refused.stderr
        env = _env(tmp_path, FETCH_ALLOW_LOOPBACK="true")
        added = subprocess.run(  # noqa: S603
            [str(BIN), "content", "add", url, "--topic", "#Product", "--until", "2099-01-01"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.shutdown()
    assert added.returncode == 0, added.stderr
    assert "Added item 1: CLI page (active)" in added.stderr
    listing = _run(tmp_path, "content", "list").stdout
    assert f"http://127.0.0.1:{server.server_address[1]}/post\n" in listing


def _seed_participants(tmp_path: Path, users: list[str]) -> None:
    async def seed() -> None:
        db = Database(_env(tmp_path)["DATABASE_URL"])
        await db.upgrade()
        async with db.session() as session:
            workspace = await get_or_create_workspace(session, platform="slack", external_id="T1")
            await seed_demo_content(session, workspace_id=workspace.id, now=datetime.now(UTC))
            session.add_all(
                Person(workspace_id=workspace.id, external_id=user, status=ProgrammeStatus.IN)
                for user in users
            )
        await db.dispose()

    asyncio.run(seed())


def test_send_now_dry_run_counts_without_writing_and_unknown_workspaces_are_refused(
    tmp_path: Path,
) -> None:
    _seed_participants(tmp_path, ["U1", "U2"])
    dry = _run(tmp_path, "send-now", "--dry-run")
    assert dry.returncode == 0 and "slack/T1: 2 would get picks" in dry.stderr
    assert "slack/T1: 2 queued" in _run(tmp_path, "send-now").stderr  # no Slack token: queued
    assert "slack/T1: 0 queued" in _run(tmp_path, "send-now", "--workspace", "T1").stderr
    refused = _run(tmp_path, "send-now", "--workspace", "T-NOPE")
    assert refused.returncode == 2 and "No workspace 'T-NOPE'" in refused.stderr


def test_simulate_prints_one_json_object_with_the_figures(tmp_path: Path) -> None:
    result = _run(
        tmp_path, "simulate", "--employees", "12", "--weeks", "2", "--seed", "3", "--json"
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert {"macro_f1", "baseline_macro_f1", "groups"} <= set(figures)
    assert set(figures["groups"]["self_driven"]) >= {"precision", "recall"}
    assert set(figures["needs_help_joined"]) >= {"ceiling", "recall", "joined", "support"}
    assert not (tmp_path / "var").exists()  # a temporary database, not the configured one


def test_simulate_prints_needs_help_recall_among_those_who_joined(tmp_path: Path) -> None:
    result = _run(tmp_path, "simulate", "--employees", "12", "--weeks", "2", "--seed", "3")
    assert result.returncode == 0, result.stderr
    text = " ".join((result.stdout + result.stderr).split())  # the console wraps long lines
    assert "who ever joined: recall" in text and "(ceiling " in text


def test_simulate_takes_habit_options_and_refuses_unknown_ones(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        "simulate",
        "--employees",
        "12",
        "--weeks",
        "2",
        "--outside-nudges",
        "logged",
        "--team-size",
        "4",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert "outside_nudges=logged" in figures["habits"] and "not_sure_share" in figures
    refused = _run(tmp_path, "simulate", "--editing", "sometimes")
    assert refused.returncode == 2 and "editing must be one of" in refused.stderr


def test_send_now_shows_progress_and_a_summary(tmp_path: Path) -> None:
    from bench.workload import FakeSlackProcess

    _seed_participants(tmp_path, ["U1", "U2", "U3"])
    fake = FakeSlackProcess(rate=1000, latency=0.0)
    try:
        result = subprocess.run(  # noqa: S603 - our own console script with fixed arguments
            [str(BIN), "send-now"],
            env=_env(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=f"{fake.root}/api/"),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        fake.stop()
    assert result.returncode == 0, result.stderr
    assert "slack/T1: 3 queued" in result.stderr
    assert "3 sent, 0 queued, 0 failed" in result.stderr  # the progress line
    assert re.search(r"3 sent in \d+\.\d s \(\d+\.\d/s\)", result.stderr), result.stderr


def test_rotate_keys_reencrypts_tokens_with_the_first_key(tmp_path: Path) -> None:
    from content_store import accounts
    from content_store.accounts import AccountTokens
    from content_store.people import get_or_create_person
    from content_store.token_box import TokenBox
    from domain.networks import Network

    old_box = TokenBox.from_settings(listed="old key", secret_key=b"the secret")

    async def connect() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
        await db.upgrade()
        async with db.session() as session:
            workspace = await get_or_create_workspace(session, platform="slack", external_id="T")
            person = await get_or_create_person(session, workspace_id=workspace.id, external_id="U")
            tokens = AccountTokens(person.id, Network.LINKEDIN, "sub", "Ann", "tok", None, None)
            await accounts.save_account(session, box=old_box, tokens=tokens, now=datetime.now(UTC))
        await db.dispose()

    asyncio.run(connect())
    env = {"SECRET_KEY": "the secret", "TOKEN_ENCRYPTION_KEY": "new key,old key"}
    done = subprocess.run(  # noqa: S603 - our own console script with fixed arguments
        [str(BIN), "accounts", "rotate-keys"],
        env=_env(tmp_path, **env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "1 connected accounts" in done.stderr, done.stderr

    async def read() -> str | None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
        only_new = TokenBox.from_settings(listed="new key", secret_key=b"")
        async with db.session() as session:
            found = await accounts.load_account(
                session, box=only_new, person_id=1, network=Network.LINKEDIN
            )
        await db.dispose()
        return found.access_token if found else None

    assert asyncio.run(read()) == "tok"


async def test_start_up_leaves_its_objects_out_of_later_full_collections() -> None:
    from aiohttp import web

    from bot.cli import _freeze_heap

    before = gc.get_freeze_count()
    kept = [object() for _ in range(1000)]  # noqa: F841 - start-up's long-lived objects
    try:
        await _freeze_heap(web.Application())
        assert gc.get_freeze_count() >= before + 1000
    finally:
        gc.unfreeze()
