"""Events: whether each is a nudge, stored; partial indexes of nudges and of share intents.

Revision ID: 0012_event_nudges
Revises: 0011_connected_accounts
Create Date: 2026-12-02 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_event_nudges"
down_revision = "0011_connected_accounts"
branch_labels = None
depends_on = None

# insights.signals.is_nudge as of this revision, for the rows written before it.
_NUDGE_TYPES = "type IN ('reminded', 'nudged_elsewhere')"
_DM_PICKS = {
    "sqlite": "type = 'picks_shown' AND json_extract(payload, '$.source') = 'dm'",
    "postgresql": "type = 'picks_shown' AND payload ->> 'source' = 'dm'",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("nudge", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    truth = "1" if dialect == "sqlite" else "true"
    op.execute(
        f"UPDATE events SET nudge = {truth} WHERE {_NUDGE_TYPES} OR ({_DM_PICKS[dialect]})"  # noqa: S608 - constants
    )
    op.create_index(
        "ix_events_nudges",
        "events",
        ["person_id", "created_at", "nudge"],
        unique=False,
        sqlite_where=sa.text("nudge = 1"),
        postgresql_where=sa.text("nudge"),
    )
    op.create_index(
        "ix_events_share_intents",
        "events",
        ["workspace_id", "person_id", "created_at", "content_id", "type"],
        unique=False,
        sqlite_where=sa.text("type = 'share_intent'"),
        postgresql_where=sa.text("type = 'share_intent'"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_share_intents", table_name="events")
    op.drop_index("ix_events_nudges", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("nudge")
