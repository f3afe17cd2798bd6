"""What every use case needs: the database, the clock, the caption writer and a few settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from captions import CaptionWriter
from content_store import privacy
from content_store.database import Database
from content_store.events import record_event
from content_store.models import AuditEntry, Person, Workspace
from content_store.people import (
    Member,
    absorb_imported_twin,
    find_member,
    find_person,
    find_person_by_email,
    get_or_create_person,
    get_or_create_workspace,
    is_imported,
    roles_of,
)
from domain.errors import InvalidInput
from domain.events import EventType
from domain.programme import ProgrammeStatus, Role
from domain.schedules import is_known_zone
from handlers.types import Actor, Capabilities, Messenger, Reply
from insights.grouping import Thresholds
from links.fetcher import FetchPolicy
from messages import describe_error, normalise_locale
from publishing.config import AccountsConfig


class Clock(Protocol):
    """The time port, so tests can move through weeks."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    """Ports and settings shared by all handlers."""

    db: Database
    captions: CaptionWriter
    public_base_url: str
    clock: Clock = field(default_factory=SystemClock)
    fetch_policy: FetchPolicy = field(default_factory=FetchPolicy)
    picks_per_week: int = 3
    default_timezone: str = "UTC"
    default_locale: str = "en"
    # How late a missed or paused send may still go out; older ones are dropped, not flooded.
    slot_grace: timedelta = timedelta(hours=6)
    insight_thresholds: Thresholds = field(default_factory=Thresholds)
    # How long an invitation may go unanswered before its one reminder.
    reminder_after: timedelta = timedelta(days=7)
    # What each configured chat platform offers, by platform name.
    platforms: Mapping[str, Capabilities] = field(default_factory=dict)

    def capabilities(self, platform: str) -> Capabilities:
        """What `platform` offers; nothing beyond the basics when it is unknown."""
        return self.platforms.get(platform, Capabilities(label=platform))

    # The server's key for keyed hashes (SECRET_KEY); tests and the simulator need none.
    secret_key: bytes = b""
    # People's own LinkedIn and Bluesky accounts (none unless configured).
    accounts: AccountsConfig = field(default_factory=AccountsConfig)

    def link_url(self, code: str) -> str:
        """The public address of a tracked link."""
        return f"{self.public_base_url}/r/{code}"

    def download_url(self, token: str) -> str:
        """The public address of a file offered as a link."""
        return f"{self.public_base_url}/files/{token}"

    def connect_url(self, network: str, state: str) -> str:
        """The public address of a person's single-use link connecting an account."""
        return f"{self.public_base_url}/connect/{network}/{state}"


@dataclass(frozen=True)
class Invocation:
    """Who asked for something, through which platform's messenger, with the shared services."""

    services: Services
    actor: Actor
    messenger: Messenger

    @property
    def capabilities(self) -> Capabilities:
        """What the actor's platform offers."""
        return self.services.capabilities(self.actor.platform)


@dataclass(frozen=True)
class Caller:
    """The person behind an actor, loaded inside the current transaction."""

    workspace: Workspace
    person: Person
    roles: frozenset[Role]

    @property
    def locale(self) -> str:
        """The person's language, else the workspace's."""
        return normalise_locale(self.person.locale or self.workspace.locale)


async def load_caller(session: AsyncSession, actor: Actor, services: Services) -> Caller:
    """Find or create the workspace and person for an actor, refreshing locale and time zone."""
    member = await find_member(
        session,
        platform=actor.platform,
        workspace_external_id=actor.workspace_id,
        external_id=actor.user_id,
    )
    if member is None or member.person is None:
        return await _first_sight(session, actor, services)
    return await known_caller(session, member, member.person, actor)


async def known_caller(
    session: AsyncSession, member: Member, person: Person, actor: Actor
) -> Caller:
    """The caller for a person found in the database, refreshed from what the actor says.

    When this brings their e-mail for the first time, the org chart's entry for it (if any)
    becomes theirs (`absorb_imported_twin`).
    """
    roles = member.roles
    absorbed = False
    if person.email is None and actor.email:
        # Another press of theirs may be taking the org chart's entry over right now: wait for
        # it and read what it wrote (rare: once per person).
        await session.refresh(person, with_for_update=True)
        learns_email = person.email is None
        _refresh(person, actor)
        absorbed = learns_email and await absorb_imported_twin(session, person=person)
        roles = await roles_of(session, person_id=person.id)  # theirs now, whoever merged
    else:
        _refresh(person, actor)
    caller = Caller(workspace=member.workspace, person=person, roles=roles)
    if absorbed:
        # Roles (admin among them) came with it: kept accountable like `role set`.
        audit(
            session,
            caller,
            "person.org_chart_entry",
            f"{actor.user_id}:{','.join(sorted(role.value for role in roles))}",
        )
    return caller


async def _first_sight(session: AsyncSession, actor: Actor, services: Services) -> Caller:
    """Create what is missing: the workspace, or the person (adopting an imported one)."""
    workspace = await get_or_create_workspace(
        session,
        platform=actor.platform,
        external_id=actor.workspace_id,
        timezone=services.default_timezone,
        locale=services.default_locale,
    )
    await _adopt_imported(session, workspace_id=workspace.id, actor=actor)
    person = await get_or_create_person(
        session, workspace_id=workspace.id, external_id=actor.user_id
    )
    _refresh(person, actor)
    # Someone who erased their data is not invited or reminded again (they may still join).
    await privacy.keep_uninvited(
        session,
        workspace=workspace,
        person=person,
        key=services.secret_key,
        now=services.clock.now(),
    )
    roles = await roles_of(session, person_id=person.id)
    return Caller(workspace=workspace, person=person, roles=roles)


def _refresh(person: Person, actor: Actor) -> None:
    """Take the locale, time zone and name the platform tells us, writing only what changed.

    Assigning an attribute its current value still marks the person dirty, and a dirty person
    costs every later statement of the unit an ORM flush: about a tenth of a Teams share
    submit's CPU (`bench/http_load`, bench/RESULTS.md).
    """
    for name, value in _told(actor, display_name=person.display_name, email=person.email).items():
        if getattr(person, name) != value:
            setattr(person, name, value)


def is_stale(
    actor: Actor, *, locale: str | None, timezone: str | None, display_name: str, email: str | None
) -> bool:
    """Whether the platform tells something of the person that the stored values lack (what
    `load_caller` would write)."""
    stored = {"locale": locale, "timezone": timezone, "display_name": display_name, "email": email}
    told = _told(actor, display_name=display_name, email=email)
    return any(stored[name] != value for name, value in told.items())


def _told(actor: Actor, *, display_name: str, email: str | None) -> dict[str, str]:
    """What the actor says of the person that we keep (a name and an e-mail only if none)."""
    changes: dict[str, str] = {}
    if actor.locale:
        changes["locale"] = normalise_locale(actor.locale)
    if actor.timezone and is_known_zone(actor.timezone):
        changes["timezone"] = actor.timezone
    if actor.display_name and not display_name:
        changes["display_name"] = actor.display_name[:200]
    if actor.email and not email:
        # Kept so that an org chart imported later finds this person instead of adding a twin.
        changes["email"] = actor.email.strip().lower()[:320]
    return changes


async def _adopt_imported(session: AsyncSession, *, workspace_id: int, actor: Actor) -> None:
    """Link a person imported from the org chart (by e-mail) to their chat account, once."""
    if not actor.email:
        return
    known = await find_person(session, workspace_id=workspace_id, external_id=actor.user_id)
    if known is not None:
        return
    imported = await find_person_by_email(session, workspace_id=workspace_id, email=actor.email)
    if imported is not None and is_imported(imported):
        imported.external_id = actor.user_id
        await session.flush()


def require_role(caller: Caller, *allowed: Role) -> None:
    """Refuse unless the caller holds one of `allowed` (admins may do everything)."""
    if caller.roles & {*allowed, Role.ADMIN}:
        return
    raise InvalidInput(
        "role.missing",
        "Only people with the {role} role can do that. Ask an admin if you need it.",
        role=" or ".join(role.value for role in allowed) or Role.ADMIN.value,
    )


async def record_for(
    session: AsyncSession,
    caller: Caller,
    event_type: EventType,
    *,
    at: datetime,
    content_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Append an event about the caller to the interaction log."""
    await record_event(
        session,
        workspace_id=caller.workspace.id,
        person_id=caller.person.id,
        content_id=content_id,
        type=event_type,
        payload=payload,
        at=at,
    )


def require_participant(caller: Caller, *, while_paused: bool = False) -> None:
    """Refuse people not in the programme, and (unless `while_paused`) everyone during a pause."""
    require_taking_part(
        status=caller.person.status, paused=caller.workspace.paused, while_paused=while_paused
    )


def require_taking_part(
    *, status: ProgrammeStatus, paused: bool, while_paused: bool = False
) -> None:
    """`require_participant` for a person read as plain values."""
    if status is not ProgrammeStatus.IN:
        raise InvalidInput(
            "programme.not_in", "You are not taking part yet. Say 'in' to join, whenever you like."
        )
    if paused and not while_paused:
        raise InvalidInput(
            "programme.paused", "The programme is paused for the moment. Please check back later."
        )


def audit(
    session: AsyncSession, caller: Caller, action: str, target: str = "", **details: Any
) -> None:
    """Record a privileged action by the caller in the audit log (same transaction)."""
    session.add(
        AuditEntry(
            workspace_id=caller.workspace.id,
            actor_id=caller.person.id,
            action=action,
            target=target[:200],
            details=dict(details),
        )
    )


async def error_reply(services: Services, actor: Actor, error: InvalidInput) -> Reply:
    """A refusal in the person's own language."""
    async with services.db.session() as session:
        locale = (await load_caller(session, actor, services)).locale
    return Reply.text(describe_error(error.code, error.message, locale, **error.params))
