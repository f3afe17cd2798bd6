"""The database tables of Social Boost as SQLAlchemy 2 typed models."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain.networks import Network
from domain.programme import Cadence, ContentStatus, ProgrammeStatus, Role
from insights.signals import is_nudge

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def _enum(enum_cls: type[Any]) -> SqlEnum:
    # Stored as plain strings so adding a member never needs a PostgreSQL ALTER TYPE.
    return SqlEnum(
        enum_cls,
        native_enum=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Workspace(Base):
    """A Slack workspace or a Teams tenant, with its programme-wide settings."""

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(10), default="en")
    guidelines: Mapped[str] = mapped_column(Text, default="")
    disclosure_line: Mapped[str] = mapped_column(String(200), default="")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    picks_channel: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # The channel's name as people know it, to show instead of its id.
    picks_channel_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Person(Base):
    """Someone in a workspace, whether or not they take part."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        Index("ix_people_workspace_email", "workspace_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    team: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str | None] = mapped_column(String(64))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ProgrammeStatus] = mapped_column(
        _enum(ProgrammeStatus), default=ProgrammeStatus.NOT_ASKED
    )
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    invited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cadence: Mapped[Cadence] = mapped_column(_enum(Cadence), default=Cadence.WEEKLY)
    paused_until: Mapped[date | None] = mapped_column(Date)
    networks: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent_spotlight: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_learn_style: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PersonRole(Base):
    """A privileged role held by a person."""

    __tablename__ = "person_roles"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role), primary_key=True)


class Topic(Base):
    """A theme content can be about, such as #product."""

    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(50))


class PersonTopic(Base):
    """A topic a person chose, or one inferred from what they did (weight in [0, 1])."""

    __tablename__ = "person_topics"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    inferred_weight: Mapped[float] = mapped_column(Float, default=0.0)


class ContentItem(Base):
    """A piece of company content people may share."""

    __tablename__ = "content_items"
    __table_args__ = (
        UniqueConstraint("workspace_id", "canonical_url"),
        Index("ix_content_items_workspace_status", "workspace_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    canonical_url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str | None] = mapped_column(String(2048))
    site_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[ContentStatus] = mapped_column(_enum(ContentStatus))
    publish_from: Mapped[datetime] = mapped_column(UtcDateTime)
    publish_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    suggested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ContentTopic(Base):
    """Which topics a content item is about."""

    __tablename__ = "content_topics"

    content_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )


class ContentCaption(Base):
    """The content team's suggested caption for one network."""

    __tablename__ = "content_captions"

    content_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True
    )
    network: Mapped[Network] = mapped_column(_enum(Network), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class Delivery(Base):
    """One message to one person for one slot; (person, slot) is the idempotency key."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("person_id", "slot"),
        Index("ix_deliveries_status_available", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), default="picks")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    platform_message_id: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    # The outbox: when a sender may next take the row, and who holds it until when.
    available_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when a sender took over a row whose previous sender died mid-send.
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class DeliveryItem(Base):
    """A content item shown in a delivery, with the reason it was picked."""

    __tablename__ = "delivery_items"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    content_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    reason_kind: Mapped[str] = mapped_column(String(30))
    reason_topic: Mapped[str | None] = mapped_column(String(50))
    suggested_caption: Mapped[str] = mapped_column(Text, default="")


class Feedback(Base):
    """'Not for me' or 'more like this' from one person on one item (the latest one counts)."""

    __tablename__ = "feedback"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    content_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Link(Base):
    """A tracked link for one (person, item, network); the code carries no personal data."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("person_id", "content_id", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    content_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), index=True
    )
    network: Mapped[Network] = mapped_column(_enum(Network))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Share(Base):
    """A person's share of an item on a network: the intent, their caption, the confirmation."""

    __tablename__ = "shares"
    __table_args__ = (
        UniqueConstraint("person_id", "content_id", "network"),
        Index("ix_shares_content", "content_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    content_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"))
    network: Mapped[Network] = mapped_column(_enum(Network))
    source: Mapped[str] = mapped_column(String(20))
    suggested_caption: Mapped[str | None] = mapped_column(Text)
    final_caption: Mapped[str | None] = mapped_column(Text)
    rewrite_ratio: Mapped[float] = mapped_column(Float)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    intent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when the bot posted it through a connected account: the network's id of the post
    # (a LinkedIn URN, a Bluesky at:// URI), so a second press answers instead of posting twice.
    posted_ref: Mapped[str | None] = mapped_column(String(300))
    # While one press is posting: a second press meanwhile is told so (claimed in one UPDATE).
    posting_since: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Click(Base):
    """A click on a tracked link by a human visitor; no IP address or user agent is kept."""

    __tablename__ = "clicks"
    __table_args__ = (Index("ix_clicks_link_time", "link_id", "clicked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    clicked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    referrer_host: Mapped[str | None] = mapped_column(String(255))


def _is_nudge_row(context: Any) -> bool:
    """Whether the event being inserted is a nudge, from its own type and payload: every
    insert through SQLAlchemy (ORM, Core, executemany) that leaves `nudge` out gets it so."""
    row = context.get_current_parameters()
    payload = row.get("payload") or {}
    return is_nudge(str(row["type"]), payload.get("source") if isinstance(payload, dict) else None)


class Event(Base):
    """The append-only log of interactions: the raw material for insights."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_person_time", "person_id", "created_at"),
        Index("ix_events_type_time", "type", "created_at"),
        # Each share looks back for the person's latest nudge: one step down this index.
        # `nudge` is in it too, else SQLite reads the row to check the index's own condition.
        Index(
            "ix_events_nudges",
            "person_id",
            "created_at",
            "nudge",
            sqlite_where=text("nudge = 1"),
            postgresql_where=text("nudge"),
        ),
        # Every share intent of a workspace, person by person, read from the index alone.
        Index(
            "ix_events_share_intents",
            "workspace_id",
            "person_id",
            "created_at",
            "content_id",
            "type",
            sqlite_where=text("type = 'share_intent'"),
            postgresql_where=text("type = 'share_intent'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    content_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_items.id", ondelete="SET NULL")
    )
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # insights.signals.is_nudge of the type and the payload's source, stored when written so
    # that insights need not read the JSON of millions of events (see ix_events_nudges).
    nudge: Mapped[bool] = mapped_column(Boolean, default=_is_nudge_row, server_default=sa_false())


class AuditEntry(Base):
    """Who did what privileged thing, for accountability."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProcessedEvent(Base):
    """Platform event ids already handled, so a retried delivery has no second effect."""

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class ChannelPost(Base):
    """The week's picks posted to a workspace's channel: once per (workspace, slot)."""

    __tablename__ = "channel_posts"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    platform_message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Schedule(Base):
    """When a workspace's recurring sends happen, in each recipient's own time zone."""

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("workspace_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    # 0 = Monday ... 6 = Sunday; None means every day.
    weekday: Mapped[int | None] = mapped_column(Integer)
    hour: Mapped[int] = mapped_column(Integer)
    minute: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ScheduleRun(Base):
    """One occurrence of a schedule that has been planned: the guard against running it twice."""

    __tablename__ = "schedule_runs"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64), primary_key=True)
    occurrence: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    planned: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RateBucket(Base):
    """A token bucket shared by every replica sending to one workspace or tenant."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(140), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    # Seconds since the epoch: buckets refill by wall time, shared across processes.
    refreshed_at: Mapped[float] = mapped_column(Float)


class TeamsConversation(Base):
    """A Teams conversation the bot can write to later: its stored conversation reference.

    `user_id` names the person for a personal chat (empty for channels and group chats);
    the reference holds ids and the service URL only, no names.
    """

    __tablename__ = "teams_conversations"
    __table_args__ = (
        UniqueConstraint("workspace_id", "conversation_id"),
        Index("ix_teams_conversations_person", "workspace_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(100), default="")
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StoredDigest(Base):
    """A manager's weekly figures, stored when the digest is planned and dropped once sent.

    The payload holds counts, item ids and titles, and person ids only: names are looked up
    (and spotlight consent checked again) when the message is composed.
    """

    __tablename__ = "manager_digests"

    manager_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PersonInsight(Base):
    """A person's motivation group as last computed, with its confidence and evidence."""

    __tablename__ = "person_insights"
    __table_args__ = (Index("ix_person_insights_workspace_group", "workspace_id", "group"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float] = mapped_column(Float)
    # A list of {"key": message key, "params": {...}}: shown to the person in their language.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Below the calibrated confidence a placement is shown as "not sure yet".
    sure: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # The message key of the first sentence the person reads (one the evidence allows).
    headline: Mapped[str] = mapped_column(String(60), default="", server_default="")


class PendingContent(Base):
    """An item the content team previewed with `add`, kept here until they save or cancel it.

    The chat message carries only this row's id, so what is saved is exactly what was fetched
    and checked, whatever a client sends back; rows older than a day are swept away.
    """

    __tablename__ = "pending_content"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Download(Base):
    """A file offered to one person as a short-lived link, for platforms that cannot carry files.

    Only a hash of the link's random token is kept, so the table alone opens nothing.
    """

    __tablename__ = "downloads"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    uses_left: Mapped[int] = mapped_column(Integer)


class DoNotInvite(Base):
    """Someone who erased their data is never invited or reminded again.

    Only a keyed hash (HMAC with the server's SECRET_KEY) of the platform, workspace and user
    id is kept: it can tell that a returning user id was erased, but names nobody by itself.
    """

    __tablename__ = "do_not_invite"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ConnectedAccount(Base):
    """A person's own account on a network the bot may post to when they press for it.

    The tokens are encrypted (Fernet, key from TOKEN_ENCRYPTION_KEY or SECRET_KEY) and are
    never logged; the row is deleted on disconnect, on erasure and when the person leaves.
    """

    __tablename__ = "connected_accounts"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    network: Mapped[Network] = mapped_column(_enum(Network), primary_key=True)
    # LinkedIn: the member id (`sub` of userinfo); Bluesky: the DID.
    external_id: Mapped[str] = mapped_column(String(200))
    # What the person recognises: a Bluesky handle, a LinkedIn name.
    display_name: Mapped[str] = mapped_column(String(200), default="")
    access_token: Mapped[bytes] = mapped_column(LargeBinary)
    refresh_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ConnectState(Base):
    """A connect link handed to one person: single use, short-lived, kept only as a hash.

    It is the OAuth `state` for LinkedIn (and derives the PKCE verifier), and the key of the
    Bluesky form; whoever opens it connects the account of the person it was made for.
    """

    __tablename__ = "connect_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    network: Mapped[Network] = mapped_column(_enum(Network))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
