"""Connected accounts: encrypted tokens of people's own LinkedIn and Bluesky accounts.

Revision ID: 0011_connected_accounts
Revises: 0010_insights_not_sure
Create Date: 2026-12-02 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_connected_accounts"
down_revision = "0010_insights_not_sure"
branch_labels = None
depends_on = None

_NETWORK = sa.Enum(
    "linkedin", "x", "bluesky", "facebook", name="network", native_enum=False, length=20
)


def upgrade() -> None:
    op.create_table(
        "connected_accounts",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("network", _NETWORK, nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("access_token", sa.LargeBinary(), nullable=False),
        sa.Column("refresh_token", sa.LargeBinary(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_connected_accounts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "network", name=op.f("pk_connected_accounts")),
    )
    op.create_table(
        "connect_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("network", _NETWORK, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_connect_states_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_connect_states")),
    )
    op.create_index(
        op.f("ix_connect_states_person_id"), "connect_states", ["person_id"], unique=False
    )
    op.create_index(
        op.f("ix_connect_states_expires_at"), "connect_states", ["expires_at"], unique=False
    )
    with op.batch_alter_table("shares") as batch:
        batch.add_column(sa.Column("posted_ref", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("posting_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shares") as batch:
        batch.drop_column("posting_since")
        batch.drop_column("posted_ref")
    op.drop_index(op.f("ix_connect_states_expires_at"), table_name="connect_states")
    op.drop_index(op.f("ix_connect_states_person_id"), table_name="connect_states")
    op.drop_table("connect_states")
    op.drop_table("connected_accounts")
