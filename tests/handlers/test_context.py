"""Who is acting: imported people are linked to their chat account by e-mail, roles checked."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from content_store.models import AuditEntry, Person
from content_store.people import get_or_create_workspace, roles_of
from content_store.people_import import import_people, parse_people_csv
from domain.errors import InvalidInput
from domain.programme import Role
from handlers.context import Services, load_caller, require_role
from handlers.types import Actor
from tests.factories import WORKSPACE

CSV = (
    "email,name,manager_email,team,roles\n"
    "boss@example.com,Boss,,Lead,manager\n"
    "ann@example.com,Ann,boss@example.com,Sales,content\n"
)


async def test_imported_person_is_linked_on_first_contact(services: Services) -> None:
    async with services.db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        await import_people(session, workspace_id=ws.id, rows=parse_people_csv(CSV))
    ann = Actor("slack", WORKSPACE, "UANN", email="Ann@Example.com")
    async with services.db.session() as session:
        caller = await load_caller(session, ann, services)
        assert caller.roles == {Role.CONTENT}
        manager = await session.get(Person, caller.person.manager_id)
    assert manager is not None and manager.email == "boss@example.com"
    async with services.db.session() as session:
        people = list((await session.execute(select(Person.external_id))).scalars())
        again = await load_caller(session, ann, services)
        assert await roles_of(session, person_id=again.person.id) == {Role.CONTENT}
    assert sorted(people) == ["UANN", "email:boss@example.com"]


async def test_a_second_account_with_the_same_email_does_not_steal_the_first(
    services: Services,
) -> None:
    async with services.db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        await import_people(session, workspace_id=ws.id, rows=parse_people_csv(CSV))
    async with services.db.session() as session:
        await load_caller(
            session, Actor("slack", WORKSPACE, "UANN", email="ann@example.com"), services
        )
    async with services.db.session() as session:
        other = await load_caller(
            session, Actor("slack", WORKSPACE, "UOTHER", email="ann@example.com"), services
        )
        assert other.roles == frozenset()


async def test_require_role_lets_admins_do_everything(services: Services) -> None:
    async with services.db.session() as session:
        caller = await load_caller(session, Actor("slack", WORKSPACE, "U1"), services)
    with pytest.raises(InvalidInput, match="content role"):
        require_role(caller, Role.CONTENT)
    admin = type(caller)(
        workspace=caller.workspace, person=caller.person, roles=frozenset({Role.ADMIN})
    )
    require_role(admin, Role.CONTENT)


async def test_an_unchanged_profile_leaves_the_person_clean_and_a_change_is_stored(
    services: Services,
) -> None:
    ann = Actor(
        "slack", WORKSPACE, "UANN", locale="en-US", timezone="Europe/Paris", display_name="Ann"
    )
    async with services.db.session() as session:
        await load_caller(session, ann, services)
    async with services.db.session() as session:
        caller = await load_caller(session, ann, services)
        # A dirty person would cost every later statement of the unit an ORM flush.
        assert not session.dirty and not session.new
    moved = Actor("slack", WORKSPACE, "UANN", locale="nl-NL", timezone="Europe/Paris")
    async with services.db.session() as session:
        caller = await load_caller(session, moved, services)
        assert list(session.dirty) == [caller.person]
    async with services.db.session() as session:
        stored = await session.get(Person, caller.person.id)
    assert stored is not None
    assert (stored.locale, stored.timezone, stored.display_name) == ("nl", "Europe/Paris", "Ann")


async def test_the_org_chart_entry_becomes_theirs_once_a_person_first_seen_without_email_has_one(
    services: Services,
) -> None:
    """First seen while the platform would not tell the e-mail (a rate limit): stored without
    one. When it arrives, the org chart's entry for it passes to them and is gone."""
    chart = CSV + "bob@example.com,Bob,ann@example.com,Sales,\n"
    async with services.db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        await import_people(session, workspace_id=ws.id, rows=parse_people_csv(chart))
    async with services.db.session() as session:
        first = await load_caller(session, Actor("slack", WORKSPACE, "UANN"), services)
        assert first.roles == frozenset() and first.person.team == ""
    ann = Actor("slack", WORKSPACE, "UANN", email="ann@example.com")
    async with services.db.session() as session:
        caller = await load_caller(session, ann, services)
        assert caller.person.id == first.person.id
        assert caller.roles == {Role.CONTENT}
        assert (caller.person.team, caller.person.display_name) == ("Sales", "Ann")
        boss = await session.get(Person, caller.person.manager_id)
        assert boss is not None and boss.email == "boss@example.com"
    async with services.db.session() as session:
        rows = (await session.execute(select(Person.external_id, Person.manager_id))).all()
        bob_manager = {external: manager for external, manager in rows}["email:bob@example.com"]
        assert await roles_of(session, person_id=first.person.id) == {Role.CONTENT}
    assert sorted(external for external, _ in rows) == [
        "UANN",
        "email:bob@example.com",
        "email:boss@example.com",
    ]
    assert bob_manager == first.person.id


async def test_an_email_learned_without_an_org_chart_entry_changes_nothing_else(
    services: Services,
) -> None:
    async with services.db.session() as session:
        first = await load_caller(session, Actor("slack", WORKSPACE, "UANN"), services)
    ann = Actor("slack", WORKSPACE, "UANN", email="ann@example.com", display_name="Ann")
    async with services.db.session() as session:
        caller = await load_caller(session, ann, services)
        people = list((await session.execute(select(Person.external_id))).scalars())
    assert caller.person.id == first.person.id and caller.person.email == "ann@example.com"
    assert caller.roles == frozenset() and people == ["UANN"]


async def test_two_accounts_learning_the_same_email_at_once_do_not_both_get_the_entry(
    services: Services,
) -> None:
    """The org chart's entry (with its role) passes to one of them only: the second waits
    for the first, then finds it gone."""
    async with services.db.session() as session:
        ws = await get_or_create_workspace(session, platform="slack", external_id=WORKSPACE)
        await import_people(session, workspace_id=ws.id, rows=parse_people_csv(CSV))
    for user in ("UANN", "UOTHER"):
        async with services.db.session() as session:
            await load_caller(session, Actor("slack", WORKSPACE, user), services)

    async def learns(user: str) -> frozenset[Role]:
        async with services.db.session() as session:
            actor = Actor("slack", WORKSPACE, user, email="ann@example.com")
            return (await load_caller(session, actor, services)).roles

    async with services.db.session() as session:
        first = await load_caller(
            session, Actor("slack", WORKSPACE, "UANN", email="ann@example.com"), services
        )
        second = asyncio.create_task(learns("UOTHER"))
        await asyncio.sleep(0.05)  # let it reach the lock (it finds the same either way)
    assert first.roles == {Role.CONTENT}
    assert await second == frozenset()
    async with services.db.session() as session:
        external = sorted((await session.execute(select(Person.external_id))).scalars())
        audited = list((await session.execute(select(AuditEntry.action))).scalars())
    assert external == ["UANN", "UOTHER", "email:boss@example.com"]
    assert audited == ["person.org_chart_entry"]
