"""Do not invite: keyed hashes of erased people's user ids, so an erased "no" stays no.

Revision ID: 0009_do_not_invite
Revises: 0008_pending_content
Create Date: 2026-12-02 01:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_do_not_invite"
down_revision = "0008_pending_content"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "do_not_invite",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_do_not_invite_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "user_hash", name=op.f("pk_do_not_invite")),
    )


def downgrade() -> None:
    op.drop_table("do_not_invite")
