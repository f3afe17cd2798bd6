"""Importing the org chart from CSV: email, name, manager email, team, roles."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Person
from content_store.people import (
    IMPORTED_PREFIX,
    absorb_imported_twin,
    find_person_by_email,
    get_or_create_person,
    is_imported,
    set_roles,
)
from domain.errors import InvalidInput
from domain.programme import Role
from domain.text import is_storable

REQUIRED_COLUMNS = ("email", "name", "manager_email", "team", "roles")
MAX_ROWS = 200_000
_EMAIL = re.compile(r"^[^@\s,;<>\"]{1,64}@[A-Za-z0-9.-]{1,255}\.[A-Za-z]{2,63}$")


@dataclass(frozen=True)
class ImportRow:
    """One validated line of the CSV."""

    line: int
    email: str
    name: str
    manager_email: str | None
    team: str
    roles: frozenset[Role]


def _email(value: str, *, line: int, column: str) -> str:
    email = value.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(
            "import.email",
            "Line {line}: '{value}' in column {column} is not an e-mail address.",
            line=line,
            value=value[:80],
            column=column,
        )
    return email


def _roles(value: str, *, line: int) -> frozenset[Role]:
    roles = set()
    for name in filter(None, (part.strip().lower() for part in re.split(r"[;|]", value))):
        try:
            roles.add(Role(name))
        except ValueError:
            raise InvalidInput(
                "import.role",
                "Line {line}: unknown role '{role}' (use content, manager or admin).",
                line=line,
                role=name[:30],
            ) from None
    return frozenset(roles)


def _row(record: dict[str, str], *, line: int) -> ImportRow:
    values = {key: record[key].strip() for key in REQUIRED_COLUMNS}
    for column, value in values.items():
        if not is_storable(value):
            raise InvalidInput(
                "import.unstorable",
                "Line {line}: column {column} contains a NUL character or a broken one.",
                line=line,
                column=column,
            )
    manager = values["manager_email"]
    return ImportRow(
        line=line,
        email=_email(values["email"], line=line, column="email"),
        name=values["name"][:200],
        manager_email=_email(manager, line=line, column="manager_email") if manager else None,
        team=values["team"][:200],
        roles=_roles(values["roles"], line=line),
    )


def parse_people_csv(text: str) -> list[ImportRow]:
    """Validate the whole file first; any bad line refuses the file, naming line and column.

    Parsing is strict: a quote that is not closed, text after a closing quote, a line with
    more or fewer fields than the header, or a field running over several lines refuses the
    file. The lenient default would glue the following lines into one person's name and
    import the rest of the file short of them.
    """
    lines = _StrictLines(text.lstrip("\ufeff"))
    header = [name.strip().lower() for name in lines.next_record() or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise InvalidInput(
            "import.columns",
            "The CSV lacks these columns: {missing}.",
            missing=", ".join(missing),
            count=len(missing),
        )
    rows: list[ImportRow] = []
    while (fields := lines.next_record()) is not None:
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(
                "import.too_many", "At most {count} people per file.", count=MAX_ROWS
            )
        _check_fields(fields, header=header, line=lines.start)
        rows.append(_row(dict(zip(header, fields, strict=True)), line=lines.start))
    _check_unique_and_managers(rows)
    return rows


class _StrictLines:
    """A strict csv reader that knows the line each record starts on (for error messages)."""

    def __init__(self, text: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        self.start = 0

    def next_record(self) -> list[str] | None:
        """The next non-empty record, or None at the end of the file."""
        while True:
            self.start = self._reader.line_num + 1
            try:
                fields = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as error:
                raise InvalidInput(
                    "import.malformed",
                    "Line {line}: {problem} (is a quote not closed?).",
                    line=self.start,
                    problem=str(error),
                ) from None
            if fields:
                return fields


def _check_fields(fields: list[str], *, header: list[str], line: int) -> None:
    if len(fields) != len(header):
        raise InvalidInput(
            "import.field_count",
            "Line {line}: {count} fields, but the header has {expected}.",
            line=line,
            count=len(fields),
            expected=len(header),
        )
    if any("\n" in field or "\r" in field for field in fields):
        raise InvalidInput(
            "import.multiline",
            "Line {line}: a quoted field runs over several lines (is a quote not closed?).",
            line=line,
        )


def _check_unique_and_managers(rows: list[ImportRow]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        if row.email in seen:
            raise InvalidInput(
                "import.duplicate",
                "Line {line}: {email} already appears on line {first}.",
                line=row.line,
                email=row.email,
                first=seen[row.email],
            )
        seen[row.email] = row.line
    for row in rows:
        if row.manager_email == row.email:
            raise InvalidInput(
                "import.self_manager",
                "Line {line}: a person cannot be their own manager.",
                line=row.line,
            )


async def import_people(
    session: AsyncSession,
    *,
    workspace_id: int,
    rows: list[ImportRow],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Create or update everyone in the file, then link managers; returns the count."""
    people: dict[str, Person] = {}
    for row in rows:
        person = await find_person_by_email(session, workspace_id=workspace_id, email=row.email)
        if person is not None and not is_imported(person):
            # A twin left from before chat accounts took their entry over (absorb_imported_twin).
            await absorb_imported_twin(session, person=person)
        if person is None:
            person = await get_or_create_person(
                session, workspace_id=workspace_id, external_id=f"{IMPORTED_PREFIX}{row.email}"
            )
            person.email = row.email
        person.display_name, person.team = row.name, row.team
        await set_roles(session, person_id=person.id, roles=row.roles)
        people[row.email] = person
        if progress:
            progress(1)
    await _link_managers(session, workspace_id=workspace_id, rows=rows, people=people)
    return len(rows)


async def _link_managers(
    session: AsyncSession, *, workspace_id: int, rows: list[ImportRow], people: dict[str, Person]
) -> None:
    for row in rows:
        manager = people.get(row.manager_email or "") if row.manager_email else None
        if row.manager_email and manager is None:
            manager = await find_person_by_email(
                session, workspace_id=workspace_id, email=row.manager_email
            )
            if manager is None:
                raise InvalidInput(
                    "import.unknown_manager",
                    "Line {line}: manager {email} is neither in the file nor known already.",
                    line=row.line,
                    email=row.manager_email,
                )
        people[row.email].manager_id = manager.id if manager else None
    await session.flush()
