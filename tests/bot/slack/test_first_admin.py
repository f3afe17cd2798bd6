"""The first steps in docs/slack.md: import the org chart, and the admin is an admin at once."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import func, select

from content_store.models import Person, Workspace
from handlers.context import Services
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.world import SlackWorld
from tests.factories import WORKSPACE

BIN = Path(sys.executable).parent / "socialboost"
CHART = (
    "email,name,manager_email,team,roles\n"
    "admin@example.com,Ada,,Ops,admin\n"
    "early@example.com,Eve,admin@example.com,Ops,\n"
)


async def _import(services: Services, slack: FakeSlack, tmp_path: Path, *extra: str) -> str:
    """`socialboost people import` as docs/slack.md says, on this test's database and Slack."""
    chart = tmp_path / "people.csv"
    chart.write_text(CHART, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SLACK_"))}
    env.update(
        DATABASE_URL=services.db.url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="x",
        SLACK_API_URL=slack.base_url,
    )
    process = await asyncio.create_subprocess_exec(
        str(BIN), "people", "import", str(chart), *extra,
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return err.decode()


async def test_an_org_chart_imported_right_after_start_makes_the_admin_an_admin_in_slack(
    world: SlackWorld, services: Services, tmp_path: Path
) -> None:
    """Regression (issue 13 item 3): right after start no workspace exists yet, so the import
    went to 'local/default' and the admin was powerless in Slack; importing again with the
    team id doubled everyone."""
    ada = world.person("UADA", email="Admin@Example.com")
    world.person("UEVE", email="early@example.com")
    assert "Imported 2 people" in await _import(services, world.fake, tmp_path)
    shown = (await ada.command("help")).answered().text()
    assert "/boost role" in shown and "/boost add" in shown
    listed = (await ada.command("list")).answered().text()
    assert "Only people with" not in listed

    await _import(services, world.fake, tmp_path, "--platform", "slack", "--workspace", WORKSPACE)
    async with services.db.session() as session:
        workspaces = (
            await session.execute(select(Workspace.platform, Workspace.external_id))
        ).all()
        people = (await session.execute(select(Person.external_id, Person.email))).all()
    assert workspaces == [("slack", WORKSPACE)]
    assert sorted(people) == [
        ("UADA", "admin@example.com"),
        ("email:early@example.com", "early@example.com"),
    ]


async def test_someone_who_wrote_before_the_import_is_not_imported_twice(
    world: SlackWorld, services: Services, tmp_path: Path
) -> None:
    eve = world.person("UEVE", email="early@example.com")
    await eve.open_home()
    await _import(services, world.fake, tmp_path)
    async with services.db.session() as session:
        found = (
            await session.execute(select(Person).filter_by(email="early@example.com"))
        ).scalars()
        (only,) = list(found)
    assert (only.external_id, only.team, only.manager_id is not None) == ("UEVE", "Ops", True)


async def test_seed_demo_goes_to_the_configured_workspace_too(
    world: SlackWorld, services: Services, tmp_path: Path
) -> None:
    slack = world.fake
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SLACK_"))}
    env.update(
        DATABASE_URL=services.db.url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.base_url
    )
    process = await asyncio.create_subprocess_exec(
        str(BIN), "seed-demo", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    await process.communicate()
    async with services.db.session() as session:
        found = (await session.execute(select(Workspace.platform, Workspace.external_id))).all()
        assert found == [("slack", WORKSPACE)]
        assert await session.scalar(select(func.count()).select_from(Person)) == 0
