"""Malformed org-chart CSV: the whole file refused, naming line and problem (issue 16.11)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from content_store.database import Database
from content_store.models import Person
from content_store.people import get_or_create_workspace
from content_store.people_import import import_people, parse_people_csv
from domain.errors import InvalidInput

pytestmark = pytest.mark.security

HEADER = "email,name,manager_email,team,roles\n"
REST = (
    "bob@example.com,Bob,,Sales,admin\n"
    "cat@example.com,Cat,bob@example.com,Sales,content\n"
    "dan@example.com,Dan,bob@example.com,Sales,\n"
)

MALFORMED = {
    # The file: the quote never closes, so Ann's name swallowed the lines after it.
    "quote not closed": (HEADER + 'ann@example.com,"Ann,,Sales,\n' + REST, "Line 2:"),
    # A later quote closes it; the lenient parser then reads one long record.
    "quote closed lines later": (
        HEADER + 'ann@example.com,"Ann,,Sales,\n' + REST + 'eve@example.com,"Eve",,Sales,\n',
        "Line 2:",
    ),
    "text after a closing quote": (HEADER + 'ann@example.com,"Ann"x,,Sales,\n' + REST, "Line 2:"),
    "a field too many": (HEADER + REST + "ann@example.com,Ann,,Sales,,extra\n", "Line 5: 6 fields"),
    "a field too few": (HEADER + "ann@example.com,Ann,,Sales\n" + REST, "Line 2: 4 fields"),
    "a quoted line break": (
        HEADER + REST + 'ann@example.com,"Ann\nbob@example.com",,Sales,\n',
        "Line 5: a quoted field runs over several lines",
    ),
}


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_a_malformed_file_is_refused_whole_naming_the_line(db: Database, name: str) -> None:
    text, where = MALFORMED[name]
    with pytest.raises(InvalidInput) as refused:
        rows = parse_people_csv(text)
        async with db.session() as session:
            workspace = await get_or_create_workspace(session, platform="slack", external_id="T1")
            await import_people(session, workspace_id=workspace.id, rows=rows)
    assert refused.value.message.startswith(where), refused.value.message
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0


def test_blank_lines_and_a_byte_order_mark_are_still_fine() -> None:
    rows = parse_people_csv("\ufeff" + HEADER + "\n" + REST + "\n")
    assert [row.line for row in rows] == [3, 4, 5]
    assert [row.name for row in rows] == ["Bob", "Cat", "Dan"]
