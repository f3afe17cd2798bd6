"""Insights: whether a placement is sure enough to say, and the headline its evidence allows.

Revision ID: 0010_insights_not_sure
Revises: 0009_do_not_invite
Create Date: 2026-12-02 04:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_insights_not_sure"
down_revision = "0009_do_not_invite"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person_insights") as batch:
        batch.add_column(sa.Column("sure", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(
            sa.Column("headline", sa.String(length=60), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("person_insights") as batch:
        batch.drop_column("headline")
        batch.drop_column("sure")
