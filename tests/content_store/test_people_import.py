"""Org-chart CSV import: all or nothing, every refusal names the line and the problem."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from content_store.database import Database
from content_store.models import Person
from content_store.people import get_or_create_workspace, roles_of
from content_store.people_import import import_people, parse_people_csv
from domain.errors import InvalidInput
from domain.programme import Role
from tests.hypothesis_profiles import examples

GOOD = """email,name,manager_email,team,roles
boss@example.com,Bo Boss,,Leadership,manager;admin
ann@example.com,Ann,boss@example.com,Marketing,content
bob@example.com,Bob,boss@example.com,Marketing,
"""


async def _import(db: Database, text: str) -> None:
    rows = parse_people_csv(text)
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id="T1")
        await import_people(session, workspace_id=ws.id, rows=rows)


async def test_import_creates_people_with_managers_and_roles(db: Database) -> None:
    await _import(db, GOOD)
    await _import(db, GOOD)  # importing again updates, never duplicates
    async with db.session() as session:
        people = {p.email: p for p in (await session.execute(select(Person))).scalars()}
        boss_roles = await roles_of(session, person_id=people["boss@example.com"].id)
    assert set(people) == {"boss@example.com", "ann@example.com", "bob@example.com"}
    assert people["ann@example.com"].manager_id == people["boss@example.com"].id
    assert people["ann@example.com"].team == "Marketing"
    assert boss_roles == {Role.MANAGER, Role.ADMIN}


async def test_importing_again_folds_a_twin_left_beside_a_chat_account_into_it(
    db: Database,
) -> None:
    """Ann's chat account got her e-mail before chat accounts took their org-chart entry over:
    both rows exist. The next import keeps one, the chat account, with the entry's team, role
    and the people it manages."""
    await _import(db, GOOD)
    async with db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id="T1")
        session.add(Person(workspace_id=ws.id, external_id="UANN", email="ann@example.com"))
    await _import(db, GOOD + "cat@example.com,Cat,ann@example.com,Marketing,\n")
    async with db.session() as session:
        people = list((await session.execute(select(Person))).scalars())
        anns = [p for p in people if p.email == "ann@example.com"]
        [ann] = anns
        cat = next(p for p in people if p.email == "cat@example.com")
        ann_roles = await roles_of(session, person_id=ann.id)
    assert ann.external_id == "UANN" and ann.team == "Marketing"
    assert ann_roles == {Role.CONTENT} and cat.manager_id == ann.id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("email,name\nx@example.com,X\n", "lacks these columns: manager_email, team, roles"),
        ("email,name,manager_email,team,roles\nnot-an-email,X,,T,\n", "Line 2: 'not-an-email'"),
        ("email,name,manager_email,team,roles\na@example.com,A,,T,boss\n", "unknown role 'boss'"),
        (
            "email,name,manager_email,team,roles\na@example.com,A,,T,\nA@example.com,B,,T,\n",
            "Line 3: a@example.com already appears on line 2",
        ),
        (
            "email,name,manager_email,team,roles\na@example.com,A,a@example.com,T,\n",
            "cannot be their own manager",
        ),
    ],
)
def test_bad_files_are_refused_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_people_csv(text)
    assert message in refused.value.message


async def test_unknown_manager_refuses_the_whole_file(db: Database) -> None:
    text = GOOD + "eve@example.com,Eve,ghost@example.com,Sales,\n"
    with pytest.raises(InvalidInput, match=r"manager ghost@example\.com"):
        await _import(db, text)
    async with db.session() as session:
        assert list((await session.execute(select(Person))).scalars()) == []


@settings(max_examples=examples(0.3), suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text_is_parsed_or_refused_clearly(text: str) -> None:
    try:
        parse_people_csv(text)
    except InvalidInput as error:
        assert error.message
