"""Pending content (items previewed with `add`, kept server-side until saved or cancelled),
downloads (files offered as short-lived links where a platform cannot carry files) and the
name of the picks channel.

Revision ID: 0008_pending_content
Revises: 0007_digests
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_pending_content"
down_revision = "0007_digests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_content",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_pending_content_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_pending_content_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_content")),
    )
    op.create_index(
        op.f("ix_pending_content_person_id"), "pending_content", ["person_id"], unique=False
    )
    op.create_table(
        "downloads",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_downloads_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_downloads")),
    )
    op.create_index(op.f("ix_downloads_person_id"), "downloads", ["person_id"], unique=False)
    op.create_index(op.f("ix_downloads_expires_at"), "downloads", ["expires_at"], unique=False)
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.add_column(
            sa.Column(
                "picks_channel_name", sa.String(length=200), server_default="", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.drop_column("picks_channel_name")
    op.drop_index(op.f("ix_downloads_expires_at"), table_name="downloads")
    op.drop_index(op.f("ix_downloads_person_id"), table_name="downloads")
    op.drop_table("downloads")
    op.drop_index(op.f("ix_pending_content_person_id"), table_name="pending_content")
    op.drop_table("pending_content")
