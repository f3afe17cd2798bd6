"""The `socialboost` command line: serve, migrate, manage content and people, export, demo."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import build_services, safe_database_url
from bot.logging_setup import configure_logging
from bot.server import create_app
from bot.settings import Settings, get_settings
from bot.slack import setup as slack_setup
from content_store import content as library
from content_store.content import NewContent
from content_store.database import Database
from content_store.demo import seed_demo_content
from content_store.exports import FORMATS, KINDS, export_rows, render_export
from content_store.fetcher import fetch_page_metadata
from content_store.models import Workspace
from content_store.people import get_or_create_workspace
from content_store.people_import import import_people, parse_people_csv
from content_store.urls import canonicalise_url
from domain.errors import InvalidInput
from domain.programme import ContentStatus
from domain.topics import parse_topics
from scheduler.maintenance import build_scheduler

log = logging.getLogger("socialboost")
app = typer.Typer(
    help="Social Boost: employee advocacy inside Slack and Teams.", no_args_is_help=True
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
content_app = typer.Typer(help="The content library.", no_args_is_help=True)
people_app = typer.Typer(help="People and the org chart.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")
app.add_typer(people_app, name="people")
console = Console(stderr=True)
T = TypeVar("T")

Platform = Annotated[
    str | None, typer.Option(help="Platform of the workspace (slack, teams, local).")
]
WorkspaceOpt = Annotated[str | None, typer.Option(help="Slack team id or Teams tenant id.")]


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    return settings


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    """Open the database, migrate it, run `work`, and turn input errors into a clean exit."""

    async def main() -> T:
        db = Database(_settings().effective_database_url)
        try:
            await db.upgrade()
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except InvalidInput as error:
        console.print(f"[red]Error:[/red] {error.message}")
        raise typer.Exit(code=2) from None


async def _workspace(
    session: AsyncSession, platform: str | None, external_id: str | None
) -> Workspace:
    """The named workspace, else the only one there is, else a new local one."""
    if platform and external_id:
        return await get_or_create_workspace(session, platform=platform, external_id=external_id)
    workspaces = list((await session.execute(select(Workspace).order_by(Workspace.id))).scalars())
    if len(workspaces) == 1:
        return workspaces[0]
    if not workspaces:
        return await get_or_create_workspace(session, platform="local", external_id="default")
    names = ", ".join(f"{w.platform}/{w.external_id}" for w in workspaces)
    raise InvalidInput(
        "cli.workspace",
        "Several workspaces exist ({names}); name one with --platform and --workspace.",
        names=names,
    )


@app.command()
def serve() -> None:
    """Start the server (migrating the database first)."""
    settings = _settings()

    async def start() -> web.Application:
        db = Database(settings.effective_database_url)
        await db.upgrade()
        log.info("database ready: %s", safe_database_url(settings.effective_database_url))
        services = build_services(settings, db)
        application = create_app(services)
        slack_setup.register(application, settings=settings, services=services)
        scheduler = build_scheduler(
            db=db, clock=services.clock, retention_days=settings.retention_days
        )
        application.on_startup.append(lambda _: _start(scheduler))
        application.on_cleanup.append(lambda _: _stop(scheduler, db))
        return application

    log.info("Social Boost listening on http://%s:%d", settings.host, settings.port)
    web.run_app(start(), host=settings.host, port=settings.port, print=None)


async def _start(scheduler: AsyncIOScheduler) -> None:
    scheduler.start()


async def _stop(scheduler: AsyncIOScheduler, db: Database) -> None:
    scheduler.shutdown(wait=False)
    await db.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""

    async def work(db: Database) -> None:
        console.print(f"Database at {safe_database_url(db.url)} is up to date.")

    _run(work)


def _parse_date(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(
            "date.invalid", "'{text}' is not a date (YYYY-MM-DD).", text=text
        ) from None


@content_app.command("add")
def content_add(
    url: str,
    topic: Annotated[
        list[str] | None, typer.Option("--topic", "-t", help="Topic, repeatable.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Last day to offer it (YYYY-MM-DD).")] = None,
    priority: Annotated[int, typer.Option(min=0, max=3)] = 0,
    platform: Platform = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Fetch a page's title, description and image, and add it to the library."""
    settings = _settings()

    async def work(db: Database) -> None:
        page = await fetch_page_metadata(
            canonicalise_url(url), policy=build_services(settings, db).fetch_policy
        )
        new = NewContent(
            canonical_url=canonicalise_url(page.url),
            title=page.title,
            description=page.description,
            image_url=page.image_url,
            site_name=page.site_name,
            topics=parse_topics(topic or []),
            publish_until=_parse_date(until),
            priority=priority,
        )
        async with db.session() as session:
            ws = await _workspace(session, platform, workspace)
            item = await library.add_content(
                session, workspace_id=ws.id, new=new, now=datetime.now(UTC)
            )
        console.print(f"Added item {item.id}: {item.title} ({item.status.value})")

    _run(work)


@content_app.command("list")
def content_list(platform: Platform = None, workspace: WorkspaceOpt = None) -> None:
    """List the library: id, status, title, URL."""

    async def work(db: Database) -> None:
        async with db.session() as session:
            ws = await _workspace(session, platform, workspace)
            items = await library.list_content(
                session, workspace_id=ws.id, statuses=list(ContentStatus), limit=10_000
            )
        for item in items:
            typer.echo(f"{item.id}\t{item.status.value}\t{item.title}\t{item.canonical_url}")

    _run(work)


@content_app.command("retire")
def content_retire(
    content_id: int, platform: Platform = None, workspace: WorkspaceOpt = None
) -> None:
    """Stop offering an item."""

    async def work(db: Database) -> None:
        async with db.session() as session:
            ws = await _workspace(session, platform, workspace)
            item = await library.get_content(session, workspace_id=ws.id, content_id=content_id)
            await library.change_status(
                session,
                item=item,
                to=ContentStatus.RETIRED,
                now=datetime.now(UTC),
                allowed_from=(ContentStatus.ACTIVE, ContentStatus.SCHEDULED, ContentStatus.EXPIRED),
            )
        console.print(f"Retired item {content_id}.")

    _run(work)


@people_app.command("import")
def people_import(
    csv_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    platform: Platform = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Import people from a CSV with columns email, name, manager_email, team, roles."""
    try:
        text = csv_file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        console.print("[red]Error:[/red] the CSV file is not UTF-8 text.")
        raise typer.Exit(code=2) from None

    async def work(db: Database) -> None:
        rows = parse_people_csv(text)
        with Progress(console=console) as progress:
            task = progress.add_task("Importing people", total=len(rows))
            async with db.session() as session:
                ws = await _workspace(session, platform, workspace)
                count = await import_people(
                    session,
                    workspace_id=ws.id,
                    rows=rows,
                    progress=lambda n: progress.advance(task, n),
                )
        console.print(f"Imported {count} people.")

    _run(work)


@app.command("export")
def export(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}.")] = "csv",
    output: Annotated[
        Path | None, typer.Option(help="File to write (default: standard output).")
    ] = None,
    platform: Platform = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Export people, content, shares or clicks as CSV or JSON."""

    async def work(db: Database) -> None:
        async with db.session() as session:
            ws = await _workspace(session, platform, workspace)
            columns, rows = await export_rows(session, workspace_id=ws.id, kind=kind)
        text = render_export(columns, rows, fmt=fmt)
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            console.print(f"Wrote {len(rows)} rows to {output}.")

    _run(work)


@app.command("seed-demo")
def seed_demo(platform: Platform = None, workspace: WorkspaceOpt = None) -> None:
    """Add demo content (no internet needed) so the programme can be tried at once."""

    async def work(db: Database) -> None:
        async with db.session() as session:
            ws = await _workspace(session, platform, workspace)
            added = await seed_demo_content(session, workspace_id=ws.id, now=datetime.now(UTC))
        console.print(f"Added {added} demo items.")

    _run(work)


def main() -> None:
    """Console-script entry point."""
    app()
