"""Exports of people, content, shares and clicks as CSV or JSON rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, astuple
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.analytics.statistics import (
    ItemStats,
    TopicStats,
    funnel,
    item_statistics,
    topic_statistics,
    weekly_figures,
)
from content_store.models import Click, ContentItem, Link, Person, Share, utcnow
from domain.errors import InvalidInput
from domain.networks import Network

_QUERIES: dict[str, Any] = {
    "people": lambda ws: (
        select(
            Person.id,
            Person.email,
            Person.display_name,
            Person.team,
            Person.status,
            Person.cadence,
            Person.manager_id,
            Person.created_at,
        )
        .where(Person.workspace_id == ws)
        .order_by(Person.id)
    ),
    "content": lambda ws: (
        select(
            ContentItem.id,
            ContentItem.canonical_url,
            ContentItem.title,
            ContentItem.status,
            ContentItem.priority,
            ContentItem.publish_from,
            ContentItem.publish_until,
            ContentItem.created_at,
        )
        .where(ContentItem.workspace_id == ws)
        .order_by(ContentItem.id)
    ),
    "shares": lambda ws: (
        select(
            Share.id,
            Share.content_id,
            Share.person_id,
            Share.network,
            Share.source,
            Share.rewrite_ratio,
            Share.intent_at,
            Share.confirmed_at,
        )
        .join(ContentItem, ContentItem.id == Share.content_id)
        .where(ContentItem.workspace_id == ws)
        .order_by(Share.id)
    ),
    "clicks": lambda ws: (
        select(
            Click.id,
            Link.content_id,
            Link.network,
            Click.clicked_at,
            Click.referrer_host,
        )
        .join(Link, Link.id == Click.link_id)
        .join(ContentItem, ContentItem.id == Link.content_id)
        .where(ContentItem.workspace_id == ws)
        .order_by(Click.id)
    ),
}
STATISTICS = ("items", "topics", "funnel", "weekly")
KINDS = (*_QUERIES, *STATISTICS)
FORMATS = ("csv", "json")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return getattr(value, "value", value)


async def export_rows(
    session: AsyncSession, *, workspace_id: int, kind: str, now: datetime | None = None
) -> tuple[list[str], list[list[Any]]]:
    """Column names and rows of one export kind (statistics are as of `now`)."""
    if kind in STATISTICS:
        return await statistics_rows(session, workspace_id=workspace_id, kind=kind, now=now)
    if kind not in _QUERIES:
        raise InvalidInput(
            "export.kind",
            "Unknown export '{kind}': use {kinds}.",
            kind=kind,
            kinds=", ".join(KINDS),
        )
    query: Select[Any] = _QUERIES[kind](workspace_id)
    result = await session.execute(query)
    return list(result.keys()), [[_plain(v) for v in row] for row in result]


async def statistics_rows(
    session: AsyncSession, *, workspace_id: int, kind: str, now: datetime | None = None
) -> tuple[list[str], list[list[Any]]]:
    """The programme statistics as rows: per item, per topic, the funnel, or per week."""
    now = now or utcnow()
    if kind == "funnel":
        stages = await funnel(session, workspace_id=workspace_id, now=now)
        return ["stage", "people"], [[name, count] for name, count in asdict(stages).items()]
    if kind == "weekly":
        weeks = await weekly_figures(session, workspace_id=workspace_id, now=now)
        columns = ["week_start", "share_intents", "confirmed", "clicks", "sharers"]
        return columns, [[_plain(v) for v in astuple(week)] for week in weeks]
    items = await item_statistics(session, workspace_id=workspace_id)
    if kind == "items":
        return _ITEM_COLUMNS, [_item_row(item) for item in items]
    return _TOPIC_COLUMNS, [_topic_row(topic) for topic in topic_statistics(items)]


_ITEM_COLUMNS = [
    "content_id",
    "title",
    "topics",
    "sent",
    "opened",
    "share_intents",
    *(f"confirmed_{network.value}" for network in Network),
    "average_rewrite",
    "clicks",
    "near_identical_captions",
    "flagged_same_text",
]
_TOPIC_COLUMNS = [
    "topic",
    "items",
    "sent",
    "opened",
    "share_intents",
    *(f"confirmed_{network.value}" for network in Network),
    "average_rewrite",
    "clicks",
    "flagged_items",
]


def _rounded(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def _item_row(item: ItemStats) -> list[Any]:
    return [
        item.content_id,
        item.title,
        " ".join(item.topics),
        item.sent,
        item.opened,
        item.share_intents,
        *(item.confirmed.get(network.value, 0) for network in Network),
        _rounded(item.average_rewrite),
        item.clicks,
        item.same_text,
        item.flagged,
    ]


def _topic_row(topic: TopicStats) -> list[Any]:
    return [
        topic.topic,
        topic.items,
        topic.sent,
        topic.opened,
        topic.share_intents,
        *(topic.confirmed.get(network.value, 0) for network in Network),
        _rounded(topic.average_rewrite),
        topic.clicks,
        topic.flagged_items,
    ]


def _csv_safe(value: Any) -> Any:
    # A cell starting with = + - @ is a formula to spreadsheet programs: neutralise it.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render_export(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, fmt: str) -> str:
    """The rows as CSV (with a header) or as a JSON list of objects."""
    if fmt == "json":
        return json.dumps(
            [dict(zip(columns, row, strict=True)) for row in rows], ensure_ascii=False
        )
    if fmt != "csv":
        raise InvalidInput("export.format", "Unknown format '{fmt}': use csv or json.", fmt=fmt)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([_csv_safe(value) for value in row] for row in rows)
    return buffer.getvalue()
