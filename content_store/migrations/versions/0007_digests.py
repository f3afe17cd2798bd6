"""Manager digests: each manager's weekly figures, kept from planning until the digest is sent.

Revision ID: 0007_digests
Revises: 0006_insights
Create Date: 2026-11-29 04:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_digests"
down_revision = "0006_insights"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manager_digests",
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["people.id"],
            name=op.f("fk_manager_digests_manager_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("manager_id", "slot", name=op.f("pk_manager_digests")),
    )


def downgrade() -> None:
    op.drop_table("manager_digests")
