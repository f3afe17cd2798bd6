"""Repository for workspaces, people, their roles, topics and preferences."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, bindparam, cast, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from content_store.models import Person, PersonRole, PersonTopic, Topic, Workspace, utcnow
from content_store.upsert import insert_or_ignore
from domain.programme import ProgrammeStatus, Role

# People imported from the org chart before they ever used chat are keyed by e-mail.
IMPORTED_PREFIX = "email:"
# In SQL: the person is such an org-chart entry, not yet anyone's chat account (`~IMPORTED`:
# is not).
IMPORTED = Person.external_id.startswith(IMPORTED_PREFIX, autoescape=True)


def is_imported(person: Person) -> bool:
    """Whether the person is an org-chart entry not yet linked to a chat account."""
    return person.external_id.startswith(IMPORTED_PREFIX)


async def get_or_create_workspace(
    session: AsyncSession,
    *,
    platform: str,
    external_id: str,
    name: str = "",
    timezone: str = "UTC",
    locale: str = "en",
) -> Workspace:
    """The workspace (Slack team or Teams tenant), created on first sight with these defaults."""
    values = {
        "platform": platform,
        "external_id": external_id,
        "name": name,
        "timezone": timezone,
        "locale": locale,
        "guidelines": "",
        "disclosure_line": "",
        "paused": False,
        "created_at": utcnow(),
    }
    query = select(Workspace).filter_by(platform=platform, external_id=external_id)
    # Look first: nearly every call finds the row, and a read keeps SQLite free for writers.
    found = (await session.execute(query)).scalar_one_or_none()
    if found is not None:
        return found
    await insert_or_ignore(session, Workspace, values, conflict_columns=("platform", "external_id"))
    return (await session.execute(query)).scalar_one()


async def get_or_create_person(
    session: AsyncSession, *, workspace_id: int, external_id: str
) -> Person:
    """The person with this platform user id, created (status 'not asked') on first sight."""
    found = await find_person(session, workspace_id=workspace_id, external_id=external_id)
    if found is not None:
        return found
    await insert_or_ignore(
        session,
        Person,
        _new_person_values(workspace_id=workspace_id, external_id=external_id),
        conflict_columns=("workspace_id", "external_id"),
    )
    return await get_person_by_external_id(
        session, workspace_id=workspace_id, external_id=external_id
    )


def _new_person_values(*, workspace_id: int, external_id: str) -> dict[str, object]:
    # Defaults are spelled out because a core INSERT does not apply ORM-side defaults.
    return {
        "workspace_id": workspace_id,
        "external_id": external_id,
        "display_name": "",
        "team": "",
        "status": ProgrammeStatus.NOT_ASKED,
        "cadence": "weekly",
        "networks": [],
        "consent_spotlight": False,
        "consent_learn_style": False,
        "created_at": utcnow(),
    }


# The person's roles, joined by commas: a scalar subquery correlated with the outer Person.
ROLES = (
    select(func.aggregate_strings(cast(PersonRole.role, String), ","))
    .where(PersonRole.person_id == Person.id)
    .scalar_subquery()
)
# Built once: every button press and command starts here, and building costs more than running.
MEMBER = (
    select(Workspace, Person, ROLES)
    .outerjoin(
        Person,
        and_(Person.workspace_id == Workspace.id, Person.external_id == bindparam("person")),
    )
    .where(Workspace.platform == bindparam("platform"))
    .where(Workspace.external_id == bindparam("workspace"))
)


@dataclass(frozen=True)
class Member:
    """A workspace, the person with a platform user id in it (None if unknown) and their roles."""

    workspace: Workspace
    person: Person | None
    roles: frozenset[Role]


async def find_member(
    session: AsyncSession, *, platform: str, workspace_external_id: str, external_id: str
) -> Member | None:
    """The workspace, the person and their roles in one query; None for an unknown workspace.

    Every button press and command starts here, so it is one round trip rather than three.
    """
    parameters = {"platform": platform, "workspace": workspace_external_id, "person": external_id}
    row = (await session.execute(MEMBER, parameters)).one_or_none()
    if row is None:
        return None
    workspace, person, joined = row
    return Member(workspace, person, roles_from(joined))


def roles_from(joined: str | None) -> frozenset[Role]:
    """The roles in the comma-joined column that `ROLES` selects."""
    return frozenset(Role(r) for r in (joined or "").split(",") if r)


async def find_person(
    session: AsyncSession, *, workspace_id: int, external_id: str
) -> Person | None:
    """The person with this platform user id, if known."""
    query = select(Person).filter_by(workspace_id=workspace_id, external_id=external_id)
    return (await session.execute(query)).scalar_one_or_none()


async def get_person_by_external_id(
    session: AsyncSession, *, workspace_id: int, external_id: str
) -> Person:
    """The person with this platform user id (raises NoResultFound when absent)."""
    query = select(Person).filter_by(workspace_id=workspace_id, external_id=external_id)
    return (await session.execute(query)).scalar_one()


async def find_person_by_email(
    session: AsyncSession, *, workspace_id: int, email: str
) -> Person | None:
    """The person with this e-mail address in the workspace, if any: their chat account before
    an org chart's entry (both exist for someone first seen without an e-mail)."""
    query = (
        select(Person)
        .filter_by(workspace_id=workspace_id, email=email.lower())
        .order_by(IMPORTED, Person.id)
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def set_status(
    session: AsyncSession, *, person: Person, status: ProgrammeStatus, now: datetime
) -> bool:
    """Change the programme status; False when it already was that status."""
    if person.status == status:
        return False
    person.status = status
    person.status_changed_at = now
    await session.flush()
    return True


async def roles_of(session: AsyncSession, *, person_id: int) -> frozenset[Role]:
    """The privileged roles a person holds."""
    query = select(PersonRole.role).filter_by(person_id=person_id)
    return frozenset((await session.execute(query)).scalars())


async def set_roles(session: AsyncSession, *, person_id: int, roles: Iterable[Role]) -> None:
    """Replace a person's roles with exactly these."""
    await session.execute(delete(PersonRole).filter_by(person_id=person_id))
    session.add_all(PersonRole(person_id=person_id, role=role) for role in set(roles))
    await session.flush()


async def absorb_imported_twin(session: AsyncSession, *, person: Person) -> bool:
    """Fold the org chart's entry for the person's e-mail into them, and remove it; False if
    there is none.

    A person first seen while the platform would not tell their e-mail (a rate limit, an
    outage) was stored without one, beside the org chart's entry for them: two people, the
    manager's team missing the one who uses chat. When their e-mail becomes known, the org
    chart's team, name and manager, the people it lists them as managing and their roles pass
    to the chat account (the org chart is the authority on those).
    """
    if not person.email:
        return False
    query = select(Person).where(
        Person.workspace_id == person.workspace_id,
        Person.email == person.email,
        IMPORTED,
        Person.id != person.id,
    )
    # Locked: of two accounts learning the same e-mail at once, the second waits, then finds
    # the entry gone (on SQLite the one writer does the same).
    twin = (await session.execute(query.limit(1).with_for_update())).scalar_one_or_none()
    if twin is None:
        return False
    roles = await roles_of(session, person_id=person.id) | await roles_of(
        session, person_id=twin.id
    )
    person.team = twin.team or person.team
    person.display_name = twin.display_name or person.display_name
    if twin.manager_id is not None and twin.manager_id != person.id:
        person.manager_id = twin.manager_id
    managed = update(Person).where(Person.manager_id == twin.id, Person.id != person.id)
    await session.execute(managed.values(manager_id=person.id))
    await session.delete(twin)  # its roles go with it (ON DELETE CASCADE)
    await session.flush()
    await set_roles(session, person_id=person.id, roles=roles)
    return True


async def topic_ids(
    session: AsyncSession, *, workspace_id: int, slugs: Iterable[str]
) -> dict[str, int]:
    """Ids of these topic slugs, creating the ones the workspace does not have yet."""
    wanted = list(dict.fromkeys(slugs))
    for slug in wanted:
        await insert_or_ignore(
            session,
            Topic,
            {"workspace_id": workspace_id, "slug": slug},
            conflict_columns=("workspace_id", "slug"),
        )
    query = select(Topic.slug, Topic.id).where(
        Topic.workspace_id == workspace_id, Topic.slug.in_(wanted)
    )
    return {slug: topic_id for slug, topic_id in (await session.execute(query)).all()}


async def workspace_topics(session: AsyncSession, *, workspace_id: int) -> list[str]:
    """Every topic slug known in the workspace, alphabetically."""
    query = select(Topic.slug).filter_by(workspace_id=workspace_id).order_by(Topic.slug)
    return list((await session.execute(query)).scalars())


async def set_chosen_topics(session: AsyncSession, *, person: Person, slugs: Iterable[str]) -> None:
    """Make exactly these the person's chosen topics; inferred weights are kept."""
    ids = await topic_ids(session, workspace_id=person.workspace_id, slugs=slugs)
    rows = (await session.execute(select(PersonTopic).filter_by(person_id=person.id))).scalars()
    existing = {row.topic_id: row for row in rows}
    for topic_id, row in existing.items():
        row.chosen = topic_id in ids.values()
    for topic_id in set(ids.values()) - existing.keys():
        session.add(PersonTopic(person_id=person.id, topic_id=topic_id, chosen=True))
    await session.flush()


async def person_topics(
    session: AsyncSession, *, person_id: int
) -> tuple[frozenset[str], dict[str, float]]:
    """The person's chosen topic slugs and their inferred topic weights."""
    query = (
        select(Topic.slug, PersonTopic.chosen, PersonTopic.inferred_weight)
        .join(Topic, Topic.id == PersonTopic.topic_id)
        .where(PersonTopic.person_id == person_id)
    )
    rows = (await session.execute(query)).all()
    chosen = frozenset(slug for slug, is_chosen, _ in rows if is_chosen)
    inferred = {slug: weight for slug, _, weight in rows if weight > 0}
    return chosen, inferred


async def participant_count(session: AsyncSession, *, workspace_id: int) -> int:
    """How many people of a workspace are taking part now."""
    query = select(func.count(Person.id)).where(
        Person.workspace_id == workspace_id, Person.status == ProgrammeStatus.IN
    )
    return int(await session.scalar(query) or 0)
