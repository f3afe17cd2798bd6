"""The `socialboost` command line: serve, migrate, manage content and people, export, demo."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from aiohttp import web
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import lifecycle, platforms, runtime, worker_pool
from bot.app import assemble, build_services, safe_database_url
from bot.logging_setup import configure_logging
from bot.platforms import ServeOptions
from bot.settings import Settings, get_settings
from bot.teams import demo as teams_demo
from bot.teams import package as teams_package_module
from bot.teams.settings import TeamsSettings
from content_store import content as library
from content_store import outbox
from content_store.analytics.exports import FORMATS, KINDS, export_rows, render_export
from content_store.content import NewContent
from content_store.database import Database
from content_store.demo import seed_demo_content
from content_store.models import Workspace
from content_store.people import get_or_create_workspace
from content_store.people_import import import_people, parse_people_csv
from domain.errors import InvalidInput
from domain.programme import ContentStatus
from domain.topics import parse_topics
from handlers import channel_mode
from handlers.context import Services
from handlers.deliveries import Outcome, plan_picks
from handlers.types import Messenger
from links.fetcher import fetch_page_metadata
from links.urls import canonicalise_url
from scheduler.sender import Sender
from simulation import behaviour
from simulation.scenarios import SCENARIOS, TABLE_HEADER, TABLE_NOTE, format_row, scenario_row
from simulation.world import Config
from simulation.world import simulate as run_simulation

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
accounts_app = typer.Typer(help="People's connected accounts.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
console = Console(stderr=True)
T = TypeVar("T")

Platform = Annotated[
    str | None, typer.Option(help="Platform of the workspace (slack, teams, local).")
]
# Where the CLI puts people and content while no chat platform is known yet.
LOCAL = ("local", "default")
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
    """The named workspace; else the one the configured platform serves (Slack's team, the
    Teams tenant); else the only one there is; else a new local one."""
    if not (platform and external_id):
        homes = await platforms.home_workspaces(platforms.enabled_platforms())
        if len(homes) == 1:
            platform, external_id = homes[0]
    if platform and external_id:
        return await _named_workspace(session, platform, external_id)
    workspaces = list((await session.execute(select(Workspace).order_by(Workspace.id))).scalars())
    if len(workspaces) == 1:
        return workspaces[0]
    if not workspaces:
        return await get_or_create_workspace(session, platform=LOCAL[0], external_id=LOCAL[1])
    names = ", ".join(f"{w.platform}/{w.external_id}" for w in workspaces)
    raise InvalidInput(
        "cli.workspace",
        "Several workspaces exist ({names}); name one with --platform and --workspace.",
        names=names,
    )


async def _named_workspace(session: AsyncSession, platform: str, external_id: str) -> Workspace:
    """The workspace, made on first use from the local one of an earlier import, if there is
    one: the people imported before the platform was set up are the same people."""
    query = select(Workspace).filter_by(platform=platform, external_id=external_id)
    found = (await session.execute(query)).scalar_one_or_none()
    if found is not None:
        return found
    local = (
        await session.execute(select(Workspace).filter_by(platform=LOCAL[0], external_id=LOCAL[1]))
    ).scalar_one_or_none()
    if local is not None:
        local.platform, local.external_id = platform, external_id
        await session.flush()
        return local
    return await get_or_create_workspace(session, platform=platform, external_id=external_id)


@app.command()
def serve(
    playground: Annotated[
        bool, typer.Option(help="Without Teams credentials, also start the Teams Playground.")
    ] = False,
    playground_port: Annotated[int, typer.Option(min=1, max=65535)] = teams_demo.DEFAULT_PORT,
    workers: Annotated[
        int, typer.Option(help="Server processes sharing the port (PostgreSQL only).")
    ] = 1,
) -> None:
    """Start the server (migrating the database first)."""
    settings = _settings()
    try:
        worker_pool.check_workers(
            count=workers, database_url=settings.effective_database_url, playground=playground
        )
    except worker_pool.WorkersRefused as refused:
        raise typer.BadParameter(str(refused), param_hint="--workers") from None
    if workers == 1:
        _serve_one(settings, playground=playground, playground_port=playground_port)
        return
    asyncio.run(_migrate(settings))
    log.info("Social Boost: %d workers on http://%s:%d", workers, settings.host, settings.port)
    raise typer.Exit(worker_pool.supervise(count=workers, target=_serve_worker))


def _serve_worker(ready: worker_pool.Ready) -> None:
    """One of several workers (a separate process): serve on the shared port."""
    _serve_one(_settings(), playground=False, playground_port=0, on_ready=ready)


async def _migrate(settings: Settings) -> None:
    db = Database(settings.effective_database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


def _serve_one(
    settings: Settings,
    *,
    playground: bool,
    playground_port: int,
    on_ready: worker_pool.Ready | None = None,
) -> None:
    """Serve in this process; with `on_ready` (a worker), on a port shared with others."""
    options = ServeOptions(
        port=settings.port, playground=playground, playground_port=playground_port
    )

    async def start() -> web.Application:
        db = Database(settings.effective_database_url)
        await db.upgrade()
        log.info("database ready: %s", safe_database_url(settings.effective_database_url))
        application = assemble(settings, db, options=options)
        application.on_startup.insert(0, lambda _: _say_ready(settings))
        application.on_cleanup.append(lambda _: db.dispose())
        lifecycle.attach(application)  # SIGTERM: finish acknowledged work, then exit
        application.on_startup.append(_freeze_heap)
        if on_ready is not None:
            application.on_startup.append(lambda _: _signal_ready(on_ready))
        return application

    shared = True if on_ready is not None else None
    web.run_app(start(), host=settings.host, port=settings.port, print=None, reuse_port=shared)


async def _freeze_heap(_: web.Application) -> None:
    """Leave what start-up made out of every later full garbage collection.

    The libraries, catalogs and app built at start-up are ~280,000 objects that live as long
    as the process; a full collection walks them all, about 0.2 s with the event loop stopped,
    and 0 ms once they are frozen (`bench/gc_pause.py`, docs/operations.md). Frozen objects
    are never freed, so this runs once, last, after a collection of start-up's garbage.
    """
    gc.collect()
    gc.freeze()


async def _say_ready(settings: Settings) -> None:
    """Said once the database is ready, just before the port opens."""
    log.info("Social Boost serving on http://%s:%d", settings.host, settings.port)


async def _signal_ready(callback: worker_pool.Ready) -> None:
    """Tell the supervisor this worker is serving (aiohttp startup hooks are coroutines)."""
    callback()


@app.command("teams-package")
def teams_package(
    output: Annotated[Path, typer.Option(help="Where to write the zip.")] = Path("teams-app.zip"),
    privacy_url: Annotated[
        str | None, typer.Option(help="Your privacy statement (default: PUBLIC_BASE_URL).")
    ] = None,
    terms_url: Annotated[
        str | None, typer.Option(help="Your terms of use (default: PUBLIC_BASE_URL).")
    ] = None,
    developer: Annotated[str, typer.Option(help="Publisher name shown in Teams.")] = "Social Boost",
) -> None:
    """Write teams-app.zip (manifest v1.19 and icons) to upload to Teams."""
    settings = _settings()
    package = teams_package_module.PackageSettings(
        app_id=TeamsSettings().app_id,
        public_base_url=settings.public_url,
        privacy_url=privacy_url or settings.public_url,
        terms_url=terms_url or settings.public_url,
        developer=developer,
    )
    try:
        teams_package_module.write_package(output, package)
    except InvalidInput as error:
        console.print(f"[red]Error:[/red] {error.message}")
        raise typer.Exit(code=2) from None
    console.print(f"Wrote {output}: upload it in Teams (Apps → Manage your apps → Upload).")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""

    async def work(db: Database) -> None:
        console.print(f"Database at {safe_database_url(db.url)} is up to date.")

    _run(work)


@accounts_app.command("rotate-keys")
def accounts_rotate_keys() -> None:
    """Re-encrypt every stored token with the first TOKEN_ENCRYPTION_KEY."""
    from bot.app import accounts_config
    from bot.secret_key import load_secret_key
    from content_store.accounts import rotate_tokens
    from content_store.token_box import TokenBox

    settings = _settings()
    secret = load_secret_key(settings.secret_key)
    box = accounts_config(settings, secret_key=secret).box
    if box is None:
        listed = settings.token_encryption_key
        box = TokenBox.from_settings(
            listed=listed.get_secret_value() if listed else "", secret_key=secret
        )

    async def work(db: Database) -> None:
        async with db.session() as session:
            count = await rotate_tokens(session, box=box)
        console.print(f"Re-encrypted the tokens of {count} connected accounts.")

    _run(work)


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What changed, in a few words.")],
) -> None:
    """Write a migration for what content_store/models.py has and the database lacks.

    Compares the models with the configured database (migrated to head first): read the file it
    writes and add what autogenerate cannot know (data moves, server defaults)."""

    async def work(db: Database) -> Path:
        return await db.revision(message)

    path = _run(work)
    console.print(f"Wrote {path}: read it, then `socialboost db upgrade`.")


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
    """Export people, content, shares, clicks or statistics (items, topics, funnel, weekly)."""

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


@app.command("send-now")
def send_now(
    platform: Platform = None,
    workspace: WorkspaceOpt = None,
    dry_run: Annotated[
        bool, typer.Option(help="Count who is due; send and record nothing.")
    ] = False,
) -> None:
    """Trigger this week's picks by hand: queue everyone due, then send at the allowed pace."""
    settings = _settings()

    async def work(db: Database) -> None:
        chosen = platforms.enabled_platforms()
        services = build_services(settings, db, platforms=platforms.capabilities_of(chosen))
        async with AsyncExitStack() as stack:
            messengers = {
                one.name: await stack.enter_async_context(one.messenger(services=services))
                for one in chosen
            }
            async with db.session() as session:
                targets = await _targets(session, platform, workspace)
            for target in targets:
                queued = await _queue_picks(services, messengers, target, dry_run=dry_run)
                label = "would get picks" if dry_run else "queued"
                result = "paused, nothing queued" if queued is None else f"{queued} {label}"
                console.print(f"{target.platform}/{target.external_id}: {result}")
            if not dry_run and messengers:
                sender = runtime.build_sender(
                    settings, services, messengers, rates=platforms.rates_of(chosen)
                )
                async with db.session() as session:
                    waiting = await outbox.waiting_count(session)
                outcomes, seconds = await _drain_showing_progress(sender, total=waiting)
                sent = outcomes.get(Outcome.SENT, 0)
                summary = ", ".join(f"{count} {name}" for name, count in outcomes.items())
                console.print(
                    f"{summary or '0 sent'} in {seconds:.1f} s ({sent / max(seconds, 1e-9):.1f}/s)"
                )

    _run(work)


async def _drain_showing_progress(sender: Sender, *, total: int) -> tuple[Counter[Outcome], float]:
    """Work the outbox dry with a progress bar: sent, still queued, failed, and the rate."""
    started = time.monotonic()
    columns = (
        TextColumn("sending"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("sending", total=max(total, 1), detail="")
        drain = asyncio.create_task(sender.drain())
        while not drain.done():
            await asyncio.wait({drain}, timeout=0.5)
            done = sum(sender.outcomes.values()) - sender.outcomes.get(Outcome.RETRY, 0)
            sent = sender.outcomes.get(Outcome.SENT, 0)
            failed = sender.outcomes.get(Outcome.FAILED, 0)
            rate = sent / max(time.monotonic() - started, 1e-9)
            detail = f"{sent} sent, {max(total - done, 0)} queued, {failed} failed, {rate:.1f}/s"
            progress.update(task, completed=min(done, total), detail=detail)
        outcomes = drain.result()
    return outcomes, time.monotonic() - started


async def _targets(
    session: AsyncSession, platform: str | None, external_id: str | None
) -> list[Workspace]:
    query = select(Workspace).order_by(Workspace.id)
    if external_id:
        query = query.where(Workspace.external_id == external_id)
    if platform:
        query = query.where(Workspace.platform == platform)
    found = list((await session.execute(query)).scalars())
    if external_id and not found:
        raise InvalidInput(
            "cli.unknown_workspace", "No workspace '{name}' is known here.", name=external_id
        )
    return found


async def _queue_picks(
    services: Services, messengers: dict[str, Messenger], target: Workspace, *, dry_run: bool
) -> int | None:
    if target.paused:
        return None
    now = services.clock.now()
    queued = await plan_picks(services, workspace=target, occurrence=now, dry_run=dry_run)
    messenger = messengers.get(target.platform)
    if not dry_run and messenger is not None:
        await channel_mode.post_channel_picks(services, messenger, workspace=target)
    return queued


@app.command("seed-demo")
def seed_demo(platform: Platform = None, workspace: WorkspaceOpt = None) -> None:
    """Add demo content (no internet needed) so the programme can be tried at once."""

    async def work(db: Database) -> None:
        async with db.session() as session:
            ws = await _workspace(session, platform, workspace)
            added = await seed_demo_content(session, workspace_id=ws.id, now=datetime.now(UTC))
        console.print(f"Added {added} demo items.")

    _run(work)


@app.command()
def simulate(
    employees: Annotated[int, typer.Option(min=3, max=100_000, help="People in the org.")] = 200,
    weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks to simulate.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same run.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    mix: Annotated[str, typer.Option(help=f"Type mix: {', '.join(behaviour.MIXES)}.")] = "default",
    editing: Annotated[
        str,
        typer.Option(
            help="usual; verbatim (self-driven share as-is); diligent (needs-help rewrite "
            "everything); both."
        ),
    ] = "usual",
    tips: Annotated[str, typer.Option(help="usual, or none (nobody asks for tips).")] = "usual",
    topics: Annotated[str, typer.Option(help="usual, or none (nobody chooses topics).")] = "usual",
    outside_nudges: Annotated[
        str,
        typer.Option(
            help="none; manager (pushes outside the bot, unlogged); logged (the same, "
            "logged with 'nudge log')."
        ),
    ] = "none",
    next_day: Annotated[
        float,
        typer.Option(min=0, max=1, help="Share of needs-help people who come back the next day."),
    ] = 0.0,
    holiday_weeks: Annotated[
        int, typer.Option(min=0, max=12, help="Weeks of holiday each person takes.")
    ] = 0,
    team_size: Annotated[int, typer.Option(min=1, max=1000, help="People per team.")] = 10,
    scenarios: Annotated[
        bool,
        typer.Option(
            "--scenarios",
            help="Run every named scenario (habits alone and combined) and print a table.",
        ),
    ] = False,
    seeds: Annotated[
        str, typer.Option(help="With --scenarios: comma-separated seeds (default: --seed).")
    ] = "",
) -> None:
    """Simulate an organisation on a temporary database and score the motivation groups."""
    if scenarios:
        chosen = [int(word) for word in seeds.split(",") if word.strip()] or [seed]
        _scenario_table(employees, weeks, chosen, as_json=as_json)
        return
    try:
        habits = behaviour.Habits(
            mix=mix,
            editing=editing,
            tips=tips,
            topics=topics,
            outside_nudges=outside_nudges,
            next_day=next_day,
            holiday_weeks=holiday_weeks,
            team_size=team_size,
        )
        habits.check()
    except ValueError as wrong:
        raise typer.BadParameter(str(wrong)) from None
    config = Config(employees=employees, weeks=weeks, seed=seed, habits=habits)
    result = asyncio.run(run_simulation(config))
    if as_json:
        print(json.dumps(result.as_json(), sort_keys=True))
        return
    console.print(
        f"{employees} employees, {weeks} weeks, seed {seed} ({habits.label()}): "
        f"macro-F1 {result.macro_f1:.3f} (baseline by share count {result.baseline_macro_f1:.3f}), "
        f"not sure yet {result.not_sure_share:.0%} of participants"
    )
    for name, group in result.scores.items():
        base = result.baseline_scores[name]
        console.print(
            f"  {name:15} precision {group.precision:.3f} recall {group.recall:.3f}"
            f"  | baseline {base.precision:.3f} / {base.recall:.3f}  (n={group.support})"
        )
    joined = result.needs_help_joined
    console.print(
        f"  needs help, among the {joined.joined} of {joined.support} who ever joined: "
        f"recall {joined.recall:.3f} (ceiling {joined.ceiling:.3f}: nobody who never joined "
        "can be told from the not interested)"
    )


def _scenario_table(employees: int, weeks: int, seeds: list[int], *, as_json: bool) -> None:
    """Every named scenario on every seed: macro-F1, needs-help recall (over everyone, its
    ceiling and among those who joined), the baseline's, and the share of participants "not
    sure yet" (means over the seeds; worst macro-F1 too)."""
    rows = []
    if not as_json:
        print(TABLE_HEADER, flush=True)
    for scenario in SCENARIOS:
        results = [
            asyncio.run(
                run_simulation(
                    Config(employees, weeks, seed, habits=scenario.habits, name=scenario.name)
                )
            )
            for seed in seeds
        ]
        row = scenario_row(scenario.name, scenario.combined, results)
        rows.append(row)
        if not as_json:
            # A plain line on stdout: the table is the command's output, pasted into docs as is.
            print(format_row(row), flush=True)
    if not as_json:
        print(f"\n{TABLE_NOTE}", flush=True)
    if as_json:
        print(json.dumps({"employees": employees, "weeks": weeks, "seeds": seeds, "rows": rows}))


def main() -> None:
    """Console-script entry point."""
    app()
