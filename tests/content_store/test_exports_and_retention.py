"""Exports in CSV and JSON, and the retention job."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from content_store.analytics.exports import export_rows, render_export
from content_store.models import Click, Event, Link, Workspace
from content_store.privacy import purge_expired_detail
from domain.errors import InvalidInput
from domain.networks import Network
from handlers import programme, sharing
from handlers.context import Services
from handlers.sharing import ShareRequest
from handlers.tracked_redirect import follow_link
from tests.conftest import FakeClock
from tests.factories import actor, add_item


async def _workspace_id(services: Services) -> int:
    async with services.db.session() as session:
        return (await session.execute(select(Workspace.id))).scalar_one()


async def test_exports_in_csv_and_json(services: Services, clock: FakeClock) -> None:
    await programme.answer_invitation(services, actor(), "in")
    item_id = await add_item(services.db, slug="=cmd|calc", now=clock.now())
    await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "Mine"))
    ws = await _workspace_id(services)
    async with services.db.session() as session:
        columns, rows = await export_rows(session, workspace_id=ws, kind="shares")
        content_columns, content_rows = await export_rows(session, workspace_id=ws, kind="content")
    records = json.loads(render_export(columns, rows, fmt="json"))
    assert records[0]["network"] == "x" and records[0]["content_id"] == item_id
    parsed = list(csv.DictReader(io.StringIO(render_export(columns, rows, fmt="csv"))))
    assert parsed[0]["network"] == "x"
    content_csv = render_export(content_columns, content_rows, fmt="csv")
    assert "Story =cmd|calc" in content_csv
    with pytest.raises(InvalidInput, match="Unknown format 'xml'"):
        render_export(columns, rows, fmt="xml")
    async with services.db.session() as session:
        with pytest.raises(InvalidInput, match="Unknown export 'secrets'"):
            await export_rows(session, workspace_id=ws, kind="secrets")


def test_csv_cells_cannot_become_spreadsheet_formulas() -> None:
    text = render_export(["title"], [['=HYPERLINK("x")'], ["+1"], ["fine"]], fmt="csv")
    assert text.splitlines()[1:] == ['"\'=HYPERLINK(""x"")"', "'+1", "fine"]


async def test_retention_removes_only_old_clicks_and_events(
    services: Services, clock: FakeClock
) -> None:
    await programme.answer_invitation(services, actor(), "in")
    item_id = await add_item(services.db, slug="a", now=clock.now())
    await sharing.share(services, actor(), ShareRequest(item_id, Network.X, "Mine"))
    async with services.db.session() as session:
        code = (await session.execute(select(Link.code))).scalar_one()
    await follow_link(services, code=code, user_agent="Mozilla/5.0 Firefox", referrer=None)
    clock.advance(days=100)
    await programme.set_topics(services, actor(), ["#new"])
    await follow_link(services, code=code, user_agent="Mozilla/5.0 Firefox", referrer=None)
    async with services.db.session() as session:
        removed = await purge_expired_detail(session, now=clock.now(), retention_days=30)
    async with services.db.session() as session:
        kinds = set((await session.execute(select(Event.type))).scalars())
        clicks = await session.scalar(select(func.count()).select_from(Click))
    assert removed == 4  # the old click, opted_in, share_intent and the old click's event
    assert kinds == {"topics_chosen", "link_clicked"}
    assert clicks == 1
