"""Insights: each person's motivation group, confidence and evidence.

Revision ID: 0006_insights
Revises: 0005_teams
Create Date: 2026-11-29 04:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_insights"
down_revision = "0005_teams"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_insights",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_person_insights_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_person_insights_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_insights")),
    )
    with op.batch_alter_table("person_insights", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_insights_workspace_group", ["workspace_id", "group"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("person_insights", schema=None) as batch_op:
        batch_op.drop_index("ix_person_insights_workspace_group")

    op.drop_table("person_insights")
