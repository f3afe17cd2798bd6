"""One entry point for every command, on every platform: parse, check the role, run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from content_store.content import NewContent
from content_store.exports import FORMATS, export_rows, render_export
from content_store.statistics import (
    Funnel,
    ItemStats,
    ProgrammeFigures,
    WeekFigures,
    funnel,
    item_statistics,
    programme_figures,
    weekly_figures,
)
from domain.errors import InvalidInput
from domain.programme import Role
from handlers import (
    channel_mode,
    content_library,
    deliveries,
    insights,
    my_data,
    programme,
    schedules,
    weekly_picks,
    workspace_admin,
)
from handlers.charts import weekly_chart
from handlers.command_parser import ADMIN, CONTENT_TEAM, EVERYONE, Command, parse_command
from handlers.content_library import AddRequest, EditRequest
from handlers.context import Caller, Services, load_caller, require_role
from handlers.manager_digest import week_labels
from handlers.types import Actions, Actor, Attachment, Button, Messenger, Reply, Text
from insights.grouping import Group
from messages import describe_error, translate


@dataclass(frozen=True)
class ContentPreview:
    """What `add` found at the URL; the platform asks for confirmation, then saves `new`."""

    new: NewContent
    reply: Reply


Outcome = Reply | ContentPreview


async def run_command(
    services: Services, actor: Actor, text: str, *, messenger: Messenger
) -> Outcome:
    """Parse and run a command line; InvalidInput says what was wrong or refused."""
    command = parse_command(text)
    if command.name in ("help", "add", "list", "stats", "export", "send-now", "role"):
        return await _run_special(services, actor, command, messenger=messenger)
    return await _run_simple(services, actor, command)


async def _run_simple(services: Services, actor: Actor, command: Command) -> Reply:
    name, item = command.name, command.content_id or 0
    if name == "picks":
        return await weekly_picks.show_picks(services, actor, source="now")
    if name == "prefs":
        return await programme.show_preferences(services, actor)
    if name in ("insights", "tips", "self-driven", "needs-help"):
        return await _insights(services, actor, command)
    if name in ("in", "out", "later"):
        answer = {"in": "in", "out": "no", "later": "later"}[name]
        return await programme.answer_invitation(services, actor, answer)
    if name == "suggest":
        return await content_library.suggest(services, actor, command.url or "")
    if name == "my-data":
        return await _my_data(services, actor)
    if name == "forget-me":
        return await _confirm_forget(services, actor)
    if name == "edit":
        request = EditRequest(
            content_id=item,
            topics=command.topics,
            caption=command.caption,
            title=command.title,
            until=command.until,
            priority=command.priority,
        )
        return await content_library.edit(services, actor, request)
    if name == "retire":
        return await content_library.retire(services, actor, item)
    if name == "approve":
        return (
            await content_library.approve(services, actor, item)
            if item
            else (await content_library.pending_suggestions(services, actor))
        )
    if name == "reject":
        return await content_library.reject(services, actor, item)
    if name in ("pause", "resume"):
        return await workspace_admin.set_paused(services, actor, paused=name == "pause")
    if name == "guidelines":
        return await workspace_admin.set_guidelines(services, actor, command.text)
    if name == "channel":
        return await channel_mode.set_channel(services, actor, command.text)
    if name == "schedule":
        return await _schedule(services, actor, command)
    return await workspace_admin.set_disclosure(services, actor, command.text)


async def _insights(services: Services, actor: Actor, command: Command) -> Reply:
    if command.name == "tips":
        return await insights.tips(services, actor)
    if command.name == "self-driven":
        return await insights.group_list(services, actor, Group.SELF_DRIVEN)
    if command.name == "needs-help":
        return await insights.group_list(services, actor, Group.NEEDS_HELP)
    if command.topic_or_kind == "refresh":
        return await insights.refresh(services, actor)
    return await insights.own_insight(services, actor)


async def _run_special(
    services: Services, actor: Actor, command: Command, *, messenger: Messenger
) -> Outcome:
    name = command.name
    if name == "help":
        return await help_reply(services, actor, command.topic_or_kind)
    if name == "add":
        request = AddRequest(
            url=command.url or "",
            topics=command.topics,
            caption=command.caption,
            until=command.until,
            priority=command.priority or 0,
        )
        new = await content_library.preview(services, actor, request)
        return ContentPreview(new=new, reply=preview_reply(new, await _locale(services, actor)))
    if name == "list":
        return await content_library.list_items(services, actor, page=command.page)
    if name == "stats":
        return await stats_reply(services, actor, command.content_id)
    if name == "export":
        kind, fmt = command.topic_or_kind or "content", command.text or "csv"
        return await export_reply(services, actor, kind, fmt)
    if name == "send-now":
        return await deliveries.send_now(services, messenger, actor)
    return await workspace_admin.set_person_roles(
        services, actor, user_id=command.user_id or "", roles=command.roles
    )


async def _schedule(services: Services, actor: Actor, command: Command) -> Reply:
    if command.schedule_kind is None:
        return await schedules.show_schedule(services, actor)
    return await schedules.change_schedule(
        services, actor, kind=command.schedule_kind, when=command.when, enabled=command.enabled
    )


async def _caller(services: Services, actor: Actor) -> Caller:
    async with services.db.session() as session:
        return await load_caller(session, actor, services)


async def _locale(services: Services, actor: Actor) -> str:
    return (await _caller(services, actor)).locale


async def error_reply(services: Services, actor: Actor, error: InvalidInput) -> Reply:
    """The refusal in the person's own language."""
    locale = await _locale(services, actor)
    return Reply.text(describe_error(error.code, error.message, locale, **error.params))


def preview_reply(new: NewContent, locale: str) -> Reply:
    """What will be saved, for the content team to confirm."""
    until = new.publish_until.date().isoformat() if new.publish_until else "—"
    details = translate(
        "content.preview",
        locale,
        url=new.canonical_url,
        description=new.description or "—",
        topics=" ".join(f"#{t}" for t in new.topics) or "—",
        until=until,
        priority=new.priority,
        caption=next(iter(new.captions.values()), "—"),
    )
    return Reply(blocks=(Text(new.title, heading=True), Text(details)))


async def _my_data(services: Services, actor: Actor) -> Reply:
    data = await my_data.export_my_data(services, actor)
    locale = await _locale(services, actor)
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    attachment = Attachment(
        "my-social-boost-data.json", content, translate("privacy.export", locale)
    )
    return Reply(blocks=(Text(translate("privacy.export.ready", locale)),), files=(attachment,))


async def _confirm_forget(services: Services, actor: Actor) -> Reply:
    locale = await _locale(services, actor)
    return Reply(
        blocks=(
            Text(translate("privacy.forget.confirm", locale)),
            Actions(
                (Button(translate("privacy.forget.yes", locale), "privacy.erase", "yes", "danger"),)
            ),
        )
    )


async def stats_reply(services: Services, actor: Actor, content_id: int | None) -> Reply:
    """Figures for one item, or for the whole programme with its funnel and a weekly chart."""
    now = services.clock.now()
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.CONTENT)
        workspace_id = caller.workspace.id
        if content_id is not None:
            found = await item_statistics(
                session, workspace_id=workspace_id, content_ids=[content_id]
            )
            if not found:
                raise InvalidInput(
                    "content.unknown", "There is no content item {id}.", id=content_id
                )
            return item_stats_reply(found[0], caller.locale)
        figures = await programme_figures(session, workspace_id=workspace_id)
        stages = await funnel(session, workspace_id=workspace_id, now=now)
        items = await item_statistics(session, workspace_id=workspace_id)
        weeks = await weekly_figures(session, workspace_id=workspace_id, now=now)
    return programme_stats_reply(figures, stages, items, weeks, locale=caller.locale)


def item_stats_reply(item: ItemStats, locale: str) -> Reply:
    """One item's figures."""
    per_network = ", ".join(f"{n} {c}" for n, c in sorted(item.confirmed.items())) or "—"
    rewrite = f"{item.average_rewrite:.0%}" if item.average_rewrite is not None else "—"
    text = translate(
        "stats.item",
        locale,
        sent=item.sent,
        opened=item.opened,
        intents=item.share_intents,
        confirmed=per_network,
        rewrite=rewrite,
        clicks=item.clicks,
    )
    blocks = [Text(item.title, heading=True), Text(text)]
    if item.flagged:
        blocks.append(Text(translate("stats.item.same_text", locale, count=item.same_text)))
    return Reply(blocks=tuple(blocks))


def programme_stats_reply(
    figures: ProgrammeFigures,
    stages: Funnel,
    items: list[ItemStats],
    weeks: list[WeekFigures],
    *,
    locale: str,
) -> Reply:
    """The programme's figures, funnel, best items, same-text flags and a 12-week chart."""
    blocks = [
        Text(
            translate(
                "stats.programme",
                locale,
                joined=figures.people_by_status.get("in", 0),
                sharers=figures.sharers,
                intents=figures.share_intents,
                confirmed=figures.confirmed_shares,
                clicks=figures.clicks,
            )
        ),
        Text(translate("stats.funnel", locale, **asdict(stages))),
        *_best_items(items, locale),
    ]
    flagged = [item for item in items if item.flagged]
    if flagged:
        listed = ", ".join(f"#{item.content_id} {item.title}" for item in flagged)
        blocks.append(Text(translate("stats.flagged", locale, items=listed)))
    return Reply(blocks=tuple(blocks), files=(stats_chart(weeks, locale),))


def _best_items(items: list[ItemStats], locale: str, *, count: int = 5) -> list[Text]:
    ranked = sorted(items, key=lambda i: (-i.share_intents, -i.clicks, -i.content_id))
    shown = [item for item in ranked if item.share_intents or item.sent][:count]
    if not shown:
        return []
    lines = [
        translate(
            "stats.items.line",
            locale,
            id=item.content_id,
            title=item.title,
            sent=item.sent,
            opened=item.opened,
            intents=item.share_intents,
            confirmed=item.confirmed_total,
            clicks=item.clicks,
        )
        for item in shown
    ]
    return [Text(translate("stats.items.heading", locale), heading=True), Text("\n".join(lines))]


def stats_chart(weeks: list[WeekFigures], locale: str) -> Attachment:
    """Share starts, clicks and people sharing per week, as a PNG."""
    png = weekly_chart(
        title=translate("stats.chart.heading", locale),
        labels=week_labels(weeks[-1].start, weeks=len(weeks)) if weeks else [],
        series={
            translate("stats.series.shares", locale): [w.share_intents for w in weeks],
            translate("stats.series.clicks", locale): [w.clicks for w in weeks],
            translate("stats.series.sharers", locale): [w.sharers for w in weeks],
        },
    )
    return Attachment("social-boost-weekly.png", png, translate("stats.chart.title", locale))


async def export_reply(services: Services, actor: Actor, kind: str, fmt: str = "csv") -> Reply:
    """An export as a CSV or JSON file; people's details only for admins."""
    if fmt not in FORMATS:
        raise InvalidInput("export.format", "Unknown format '{fmt}': use csv or json.", fmt=fmt)
    async with services.db.session() as session:
        caller = await load_caller(session, actor, services)
        require_role(caller, Role.ADMIN if kind == "people" else Role.CONTENT)
        columns, rows = await export_rows(
            session, workspace_id=caller.workspace.id, kind=kind, now=services.clock.now()
        )
    content = render_export(columns, rows, fmt=fmt).encode()
    title = translate("export.title", caller.locale, kind=kind, count=len(rows))
    return Reply(
        blocks=(Text(title),), files=(Attachment(f"socialboost-{kind}.{fmt}", content, title),)
    )


async def help_reply(services: Services, actor: Actor, topic: str | None) -> Reply:
    """The commands this person may use, or the usage of one."""
    caller = await _caller(services, actor)
    allowed = list(EVERYONE)
    if caller.roles & {Role.CONTENT, Role.ADMIN}:
        allowed += CONTENT_TEAM
    if Role.ADMIN in caller.roles:
        allowed += ADMIN
    if topic:
        if topic not in (*EVERYONE, *CONTENT_TEAM, *ADMIN):
            raise InvalidInput(
                "command.unknown", "I don't know the command '{word}'. Try 'help'.", word=topic[:40]
            )
        return Reply.text(translate(f"help.{topic}", caller.locale))
    lines = [translate(f"help.{name}", caller.locale) for name in allowed]
    return Reply(
        blocks=(Text(translate("help.title", caller.locale), heading=True), Text("\n".join(lines)))
    )
