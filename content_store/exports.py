"""Exports of people, content, shares and clicks as CSV or JSON rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Click, ContentItem, Link, Person, Share
from domain.errors import InvalidInput

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
KINDS = tuple(_QUERIES)
FORMATS = ("csv", "json")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return getattr(value, "value", value)


async def export_rows(
    session: AsyncSession, *, workspace_id: int, kind: str
) -> tuple[list[str], list[list[Any]]]:
    """Column names and rows of one export kind."""
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
