"""Exports as files: the library, shares, clicks, statistics, and people (admins only)."""

from __future__ import annotations

from content_store.analytics.exports import FORMATS, export_rows, render_export
from domain.errors import InvalidInput
from domain.programme import Role
from handlers.context import Services, load_caller, require_role
from handlers.types import Actor, Attachment, Reply, Text
from messages import translate


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
