"""Programme and item statistics for the content team: figures, funnel and a weekly chart."""

from __future__ import annotations

from dataclasses import asdict

from content_store.analytics.statistics import (
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
from domain.networks import NETWORK_RULES, Network
from domain.programme import Role
from handlers.charts import drawn, weekly_chart
from handlers.context import Services, load_caller, require_role
from handlers.manager_digest import week_labels
from handlers.types import Actor, Attachment, Reply, Text
from messages import format_ratio, translate


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
    # Drawing the chart takes CPU: the worker process does it, off the event loop.
    return await drawn(programme_stats_reply, figures, stages, items, weeks, locale=caller.locale)


def item_stats_reply(item: ItemStats, locale: str) -> Reply:
    """One item's figures."""
    per_network = _per_network(item.confirmed, locale)
    rewrite = (
        format_ratio(item.average_rewrite, locale) if item.average_rewrite is not None else "—"
    )
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


def _per_network(confirmed: dict[str, int], locale: str) -> str:
    """'LinkedIn: 3, X: 1' with each network's own name, never its lower-case id."""
    labelled = sorted(
        (NETWORK_RULES[Network(network)].label, count) for network, count in confirmed.items()
    )
    return (
        ", ".join(
            translate("stats.per_network", locale, network=label, count=count)
            for label, count in labelled
        )
        or "—"
    )


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
        Text(translate("stats.programme.title", locale), heading=True),
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
        labels=week_labels(weeks[-1].start, weeks=len(weeks), locale=locale) if weeks else [],
        series={
            translate("stats.series.shares", locale): [w.share_intents for w in weeks],
            translate("stats.series.clicks", locale): [w.clicks for w in weeks],
            translate("stats.series.sharers", locale): [w.sharers for w in weeks],
        },
    )
    return Attachment("social-boost-weekly.png", png, translate("stats.chart.title", locale))
